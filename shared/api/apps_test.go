package api_test

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orgplane/orgplane/shared/access"
	"github.com/orgplane/orgplane/shared/autostop"
	"github.com/orgplane/orgplane/shared/catalog"
	"github.com/orgplane/orgplane/shared/ids"
	"github.com/orgplane/orgplane/shared/triggers"
)

const llmKey = "sk-live-7d1f0c2b9a"

// installChat installs the AI chat assistant (a required secret, a
// default and an optional setting) in org as email.
func (e *env) installChat(t testing.TB, email, org string, extra map[string]any) resp {
	t.Helper()
	body := map[string]any{"template_id": "chat-assistant", "name": "Helper", "env": map[string]any{"LLM_API_KEY": llmKey}}
	for k, v := range extra {
		body[k] = v
	}
	return e.must(t, 201, email, "POST", "/organizations/"+org+"/apps", body)
}

func appPath(org, app string, rest ...string) string {
	return "/organizations/" + org + "/apps/" + app + strings.Join(rest, "")
}

// appStory is an instance's log as "event:reason" strings, newest first.
func (e *env) appStory(t *testing.T, email, org, app string) []string {
	t.Helper()
	var story []string
	for _, row := range e.must(t, 200, email, "GET", appPath(org, app, "/logs"), nil).Data(t) {
		reason, _ := row["reason"].(string)
		story = append(story, fmt.Sprint(row["event"], ":", reason))
	}
	return story
}

func TestAppCatalog(t *testing.T) {
	e := newEnv(t)
	const who = "browser@catalog.test"
	all := catalog.All()
	var allIDs []string
	for _, tpl := range all {
		allIDs = append(allIDs, tpl.ID)
	}

	t.Run("PagesThroughAll", func(t *testing.T) {
		if got := walk(t, e, who, "/apps?limit=3", "id"); !slices.Equal(got, allIDs) {
			t.Fatalf("catalog = %v, want %v", got, allIDs)
		}
		row := e.must(t, 200, who, "GET", "/apps?q=kanban", nil).Data(t)[0]
		pricing, _ := row["pricing"].(map[string]any)
		if row["trial_days"] != float64(30) || row["category"] != "productivity" || pricing["currency"] != "credits" || pricing["lifetime"] == nil {
			t.Fatalf("kanban-board = %v", row)
		}
	})
	cases := []struct{ name, query, want string }{
		{"Category", "category=ai", "chat-assistant,doc-summarizer,image-studio"},
		{"SearchName", "q=WIKI", "team-wiki"},
		{"SearchDescription", "q=" + url.QueryEscape("Privacy-Friendly"), "web-analytics"},
		{"CategoryAndSearch", "category=communication&q=team", "team-chat"},
		{"NoMatch", "q=blockchain", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := strings.Join(walk(t, e, who, "/apps?limit=2&"+tc.query, "id"), ",")
			if got != tc.want {
				t.Fatalf("GET /apps?%s = %s, want %s", tc.query, got, tc.want)
			}
		})
	}
	t.Run("ErrBadQuery", func(t *testing.T) {
		first := e.must(t, 200, who, "GET", "/apps?limit=2", nil)
		next, _ := first.JSON(t)["next_cursor"].(string)
		for _, q := range []string{"category=games", "q=" + strings.Repeat("x", 101), "limit=0", "limit=101", "sort=name",
			"cursor=" + next[:len(next)-2] + "xx", "cursor=abc", "cursor="} {
			if r := e.call(t, who, "GET", "/apps?"+q, nil); r.Status != 400 {
				t.Errorf("GET /apps?%s → %d %s, want 400", q, r.Status, r.Raw)
			}
		}
	})
	t.Run("ErrCursorFromAnotherList", func(t *testing.T) {
		org, _ := e.newOrg(t, who, "Cursors")
		for i := range 3 {
			e.must(t, 201, who, "POST", "/organizations/"+org+"/projects", map[string]any{"name": fmt.Sprint("P", i)})
		}
		other, _ := e.must(t, 200, who, "GET", "/organizations/"+org+"/projects?limit=1", nil).JSON(t)["next_cursor"].(string)
		if r := e.call(t, who, "GET", "/apps?cursor="+url.QueryEscape(other), nil); r.Status != 400 || r.Code(t) != "invalid_cursor" {
			t.Fatalf("a project cursor on the catalog → %d %s", r.Status, r.Raw)
		}
	})
	t.Run("ErrUnauthenticated", func(t *testing.T) {
		e.must(t, 401, "", "GET", "/apps", nil)
	})
}

// TestAppSecretsAreMasked: a secret env value goes in once and never comes
// out: not from install, get, list, update or the log.
func TestAppSecretsAreMasked(t *testing.T) {
	e := newEnv(t)
	const owner = "owner@mask.test"
	org, _ := e.newOrg(t, owner, "Mask")
	r := e.installChat(t, owner, org, map[string]any{"access": map[string]any{"visibility": "private"}})
	app := r.Str(t, "id")
	if !ids.Valid(ids.App, app) || r.Header.Get("Location") != appPath(org, app) || r.Header.Get("ETag") != `"1"` {
		t.Fatalf("install: id %q, Location %q, ETag %q", app, r.Header.Get("Location"), r.Header.Get("ETag"))
	}
	got := r.JSON(t)
	env, _ := got["env"].(map[string]any)
	if env["LLM_API_KEY"] != catalog.Mask || env["MODEL"] != "gpt-4o-mini" || len(env) != 2 {
		t.Fatalf("env = %v, want the secret masked and the default filled in", env)
	}
	if got["status"] != "running" || got["health"] != "healthy" || !isNull(got, "stop_reason") || !isNull(got, "stopped_at") {
		t.Fatalf("new instance %v", got)
	}
	created, _ := time.Parse(time.RFC3339, got["created_at"].(string))
	trialEnds, _ := time.Parse(time.RFC3339, got["trial_ends_at"].(string))
	if d := trialEnds.Sub(created); d < 30*24*time.Hour-time.Second || d > 30*24*time.Hour+time.Second {
		t.Fatalf("trial of %v, want 30 days", d)
	}
	if acc, _ := got["access"].(map[string]any); acc["visibility"] != "private" {
		t.Fatalf("access = %v", got["access"])
	}

	// A client echoing what it read keeps the secret; a new one replaces it.
	e.must(t, 200, owner, "PATCH", appPath(org, app), map[string]any{"env": map[string]any{"LLM_API_KEY": catalog.Mask, "MODEL": "gpt-4o"}})
	stored, err := e.store.GetApp(context.Background(), org, app)
	if err != nil || stored.Env["LLM_API_KEY"] != llmKey || stored.Env["MODEL"] != "gpt-4o" {
		t.Fatalf("stored env %v (%v): the echoed mask overwrote the secret", stored.Env, err)
	}
	const rotated = "sk-live-rotated-55aa"
	e.must(t, 200, owner, "PATCH", appPath(org, app), map[string]any{"env": map[string]any{"LLM_API_KEY": rotated}})
	if stored, _ := e.store.GetApp(context.Background(), org, app); stored.Env["LLM_API_KEY"] != rotated {
		t.Fatalf("rotated secret not stored: %v", stored.Env)
	}

	reads := []resp{
		r,
		e.must(t, 200, owner, "GET", appPath(org, app), nil),
		e.must(t, 200, owner, "GET", "/organizations/"+org+"/apps", nil),
		e.must(t, 200, owner, "GET", appPath(org, app, "/logs"), nil),
		e.must(t, 200, owner, "POST", appPath(org, app, "/stop"), nil),
		e.must(t, 200, owner, "POST", appPath(org, app, "/access"), nil),
		e.must(t, 200, owner, "POST", appPath(org, app, "/restart"), nil),
		e.must(t, 200, owner, "PATCH", appPath(org, app), map[string]any{"name": "Renamed"}),
	}
	for _, read := range reads {
		for _, secret := range []string{llmKey, rotated} {
			if strings.Contains(string(read.Raw), secret) {
				t.Fatalf("a response shows the secret: %s", read.Raw)
			}
		}
	}
	var changes []string
	for _, row := range reads[3].Data(t) {
		if row["event"] == "settings_changed" {
			changes = append(changes, fmt.Sprint(row["changes"]))
		}
	}
	if !slices.Equal(changes, []string{"[env.LLM_API_KEY]", "[env.MODEL]"}) {
		t.Fatalf("settings changes logged = %v", changes)
	}
}

// TestInstallAppBadInput: every malformed install is a 4xx and installs
// nothing.
func TestInstallAppBadInput(t *testing.T) {
	e := newEnv(t)
	const owner = "owner@bad.test"
	org, _ := e.newOrg(t, owner, "Bad")
	path := "/organizations/" + org + "/apps"
	cases := []struct {
		name  string
		body  any
		field string
	}{
		{"NoTemplate", map[string]any{"name": "X"}, "template_id"},
		{"UnknownTemplate", map[string]any{"template_id": "doom"}, "template_id"},
		{"TemplateNotAString", map[string]any{"template_id": 7}, "template_id"},
		{"RequiredSecretMissing", map[string]any{"template_id": "chat-assistant"}, "env.LLM_API_KEY"},
		{"RequiredEmpty", map[string]any{"template_id": "chat-assistant", "env": map[string]any{"LLM_API_KEY": ""}}, "env.LLM_API_KEY"},
		{"UnknownEnvKey", map[string]any{"template_id": "team-wiki", "env": map[string]any{"ADMIN": "1"}}, "env.ADMIN"},
		{"EnvValueNotAString", map[string]any{"template_id": "team-wiki", "env": map[string]any{"SPACE_NAME": 5}}, "env"},
		{"EnvNotAnObject", map[string]any{"template_id": "team-wiki", "env": []string{"a"}}, "env"},
		{"SecretIsTheMask", map[string]any{"template_id": "chat-assistant", "env": map[string]any{"LLM_API_KEY": catalog.Mask}}, "env.LLM_API_KEY"},
		{"EnvValueTooLong", map[string]any{"template_id": "team-wiki", "env": map[string]any{"SPACE_NAME": strings.Repeat("x", 4097)}}, "env.SPACE_NAME"},
		{"NameTooLong", map[string]any{"template_id": "team-wiki", "name": strings.Repeat("n", 101)}, "name"},
		{"NameBlank", map[string]any{"template_id": "team-wiki", "name": "  "}, "name"},
		{"BadVisibility", map[string]any{"template_id": "team-wiki", "access": map[string]any{"visibility": "public"}}, "access.visibility"},
		{"UnknownAccessField", map[string]any{"template_id": "team-wiki", "access": map[string]any{"ip_allowlist": []string{}}}, "ip_allowlist"},
		{"ServerOwnedStatus", map[string]any{"template_id": "team-wiki", "status": "stopped"}, "status"},
		{"ServerOwnedID", map[string]any{"template_id": "team-wiki", "id": "app_01jbz8k6w3m4t5v6x7y8z9a0bc"}, "id"},
		{"ServerOwnedTrial", map[string]any{"template_id": "team-wiki", "trial_ends_at": "2099-01-01T00:00:00Z"}, "trial_ends_at"},
		{"NotJSON", "{template_id:", ""},
		{"Empty", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.call(t, owner, "POST", path, tc.body)
			if r.Status != 400 {
				t.Fatalf("got %d %s, want 400", r.Status, r.Raw)
			}
			if tc.field != "" && !strings.Contains(string(r.Raw), `"field":"`+tc.field+`"`) {
				t.Fatalf("the error does not name %s: %s", tc.field, r.Raw)
			}
			if strings.Contains(string(r.Raw), catalog.Mask) && tc.name != "SecretIsTheMask" {
				t.Fatalf("error echoes a value: %s", r.Raw)
			}
		})
	}
	if got := e.must(t, 200, owner, "GET", path, nil).Data(t); len(got) != 0 {
		t.Fatalf("bad installs installed %d apps", len(got))
	}
	t.Run("BadPaths", func(t *testing.T) {
		app := e.installChat(t, owner, org, nil).Str(t, "id")
		for _, c := range []struct {
			method, path string
			body         any
			want         int
		}{
			{"GET", appPath(org, "app_nope"), nil, 404},
			{"GET", appPath(org, strings.ToUpper(app)), nil, 404},
			{"GET", appPath(org, app) + "?verbose=1", nil, 400},
			{"GET", "/organizations/" + org + "/apps?status=paused", nil, 400},
			{"GET", appPath(org, app, "/logs?limit=500"), nil, 400},
			{"PUT", appPath(org, app), map[string]any{}, 405},
			{"PATCH", appPath(org, app), map[string]any{"env": nil}, 400},
			{"PATCH", appPath(org, app), map[string]any{"access": nil}, 400},
			{"PATCH", appPath(org, app), map[string]any{"name": nil}, 400},
			{"PATCH", appPath(org, app), map[string]any{"template_id": "team-wiki"}, 400},
			{"PATCH", appPath(org, app), map[string]any{"env": map[string]any{"LLM_API_KEY": nil}}, 400},
			{"PATCH", appPath(org, app), map[string]any{"env": map[string]any{"NOPE": "1"}}, 400},
			{"PATCH", appPath(org, app), map[string]any{"last_active_at": "2020-01-01T00:00:00Z"}, 400},
			{"PATCH", appPath(org, app), map[string]any{"access": map[string]any{"visibility": "private", "bogus": 1}}, 400},
			{"PATCH", appPath(org, app), map[string]any{"name": "Z"}, 0}, // If-Match below
		} {
			var r resp
			if c.want == 0 {
				r = e.call(t, owner, c.method, c.path, c.body, "If-Match", `"x"`)
				c.want = 412
			} else {
				r = e.call(t, owner, c.method, c.path, c.body)
			}
			if r.Status != c.want {
				t.Errorf("%s %s %v → %d %s, want %d", c.method, c.path, c.body, r.Status, r.Raw, c.want)
			}
		}
	})
}

func TestAppQuota(t *testing.T) {
	e := newEnv(t)
	const owner = "owner@quota.test"
	org, _ := e.newOrg(t, owner, "Quota")
	first := e.installChat(t, owner, org, nil).Str(t, "id")

	// The free plan allows one app: concurrent installs all lose.
	rs := concurrently(5, func(int) resp {
		return e.call(t, owner, "POST", "/organizations/"+org+"/apps", map[string]any{"template_id": "team-wiki"})
	})
	if n := countStatus(rs, 409); n != 5 || rs[0].Code(t) != "quota_exceeded" {
		t.Fatalf("%d of 5 installs over the limit were refused (%s)", n, rs[0].Raw)
	}
	if got := e.must(t, 200, owner, "GET", "/organizations/"+org, nil).JSON(t); got["app_count"] != float64(1) {
		t.Fatalf("app_count = %v", got["app_count"])
	}
	e.must(t, 204, owner, "DELETE", appPath(org, first), nil)
	e.must(t, 404, owner, "GET", appPath(org, first), nil)
	e.must(t, 404, owner, "GET", appPath(org, first, "/logs"), nil)
	e.must(t, 404, owner, "DELETE", appPath(org, first), nil)
	if got := e.must(t, 200, owner, "GET", "/organizations/"+org, nil).JSON(t); got["app_count"] != float64(0) {
		t.Fatalf("app_count after uninstall = %v", got["app_count"])
	}
	e.must(t, 201, owner, "POST", "/organizations/"+org+"/apps", map[string]any{"template_id": "status-page", "env": map[string]any{"PAGE_TITLE": "Status"}})
	if got := e.must(t, 200, owner, "GET", "/organizations/"+org+"/apps", nil).Data(t); len(got) != 1 || !isNull(got[0], "trial_ends_at") {
		t.Fatalf("after reinstall: %v (status-page has no trial)", got)
	}
}

// TestAppLifecycleStory: stop, access, restart and settings changes, each
// logged newest first with its actor; traffic does not move the ETag.
func TestAppLifecycleStory(t *testing.T) {
	e := newEnv(t)
	const owner, member = "owner@story.test", "member@story.test"
	org, _ := e.newOrg(t, owner, "Story")
	e.addMember(t, org, member, access.Member)
	app := e.installChat(t, owner, org, nil).Str(t, "id")

	a := e.must(t, 200, member, "POST", appPath(org, app, "/access"), nil)
	if a.Header.Get("ETag") != `"1"` || a.JSON(t)["version"] != float64(1) {
		t.Fatalf("access moved the version: %s", a.Raw)
	}
	s := e.must(t, 200, owner, "POST", appPath(org, app, "/stop"), nil).JSON(t)
	if s["status"] != "stopped" || s["stop_reason"] != "manual" || s["health"] != "unavailable" || s["stopped_at"] == nil {
		t.Fatalf("stop: %v", s)
	}
	if got := e.must(t, 200, owner, "GET", "/organizations/"+org+"/apps?status=running", nil).Data(t); len(got) != 0 {
		t.Fatalf("running list holds a stopped app: %v", got)
	}
	if got := e.must(t, 200, owner, "GET", "/organizations/"+org+"/apps?status=stopped", nil).Data(t); len(got) != 1 {
		t.Fatalf("stopped list: %v", got)
	}
	woke := e.must(t, 200, member, "POST", appPath(org, app, "/access"), nil).JSON(t)
	if woke["status"] != "running" || !isNull(woke, "stop_reason") || !isNull(woke, "stopped_at") {
		t.Fatalf("access did not start the app: %v", woke)
	}
	if env, _ := woke["env"].(map[string]any); env["MODEL"] != "gpt-4o-mini" || env["LLM_API_KEY"] != catalog.Mask {
		t.Fatalf("env after restart: %v", env)
	}
	e.must(t, 200, owner, "POST", appPath(org, app, "/restart"), nil)
	etag := e.must(t, 200, owner, "GET", appPath(org, app), nil).Header.Get("ETag")
	e.must(t, 200, owner, "PATCH", appPath(org, app), map[string]any{"name": "Bot", "access": map[string]any{"visibility": "private"}}, "If-Match", etag)
	if r := e.call(t, owner, "PATCH", appPath(org, app), map[string]any{"name": "Again"}, "If-Match", etag); r.Status != 412 || r.Code(t) != "version_conflict" {
		t.Fatalf("stale If-Match → %d %s", r.Status, r.Raw)
	}
	noop := e.must(t, 200, owner, "PATCH", appPath(org, app), map[string]any{"name": "Bot", "env": map[string]any{"MODEL": "gpt-4o-mini"}})
	if noop.Header.Get("ETag") == etag || noop.JSON(t)["name"] != "Bot" {
		t.Fatalf("no-op patch: %s", noop.Raw)
	}

	want := []string{"settings_changed:", "restarted:", "started:access", "stopped:manual", "installed:"}
	if got := e.appStory(t, owner, org, app); !slices.Equal(got, want) {
		t.Fatalf("log = %v, want %v", got, want)
	}
	rows := e.must(t, 200, owner, "GET", appPath(org, app, "/logs"), nil).Data(t)
	actor := func(k int) string {
		a, _ := rows[k]["actor"].(map[string]any)
		return fmt.Sprint(a["type"], ":", a["id"])
	}
	if actor(2) != "user:"+userID(member) || actor(3) != "user:"+userID(owner) {
		t.Fatalf("actors: %v, %v", actor(2), actor(3))
	}
	if fmt.Sprint(rows[0]["changes"]) != "[name access.visibility]" {
		t.Fatalf("changes = %v", rows[0]["changes"])
	}
	if got := walk(t, e, owner, appPath(org, app, "/logs?limit=2"), "event"); len(got) != len(want) {
		t.Fatalf("paged log = %v", got)
	}
}

// TestAppIdleStopThroughTheSchedule runs the real scheduled handler (as
// the Lambda and the local scheduler do, under the function's deadline)
// with its clock 13 hours ahead: the app stops as idle, the next access
// wakes it with nothing lost, and the log tells the story.
func TestAppIdleStopThroughTheSchedule(t *testing.T) {
	e := newEnv(t)
	const owner = "owner@idle.test"
	org, _ := e.newOrg(t, owner, "Idle")
	app := e.installChat(t, owner, org, map[string]any{"env": map[string]any{"LLM_API_KEY": llmKey, "SYSTEM_PROMPT": "Be brief."}}).Str(t, "id")
	sched, ok := triggers.FindSchedule(autostop.Name)
	if !ok || !sched.Writes || sched.RateContext == "" || sched.Expression() != "rate(5 minutes)" {
		t.Fatalf("schedule %+v", sched)
	}
	later := func() time.Time { return time.Now().Add(13 * time.Hour) }
	handler := sched.New(triggers.Deps{Store: e.store, Now: later, IdleTimeout: 12 * time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(sched.Timeout())*time.Second)
	defer cancel()
	if err := handler(ctx, events.EventBridgeEvent{DetailType: "Scheduled Event", Source: "aws.events"}); err != nil {
		t.Fatal(err)
	}
	got := e.must(t, 200, owner, "GET", appPath(org, app), nil).JSON(t)
	if got["status"] != "stopped" || got["stop_reason"] != "idle" {
		t.Fatalf("after the schedule: %v", got)
	}
	woke := e.must(t, 200, owner, "POST", appPath(org, app, "/access"), nil).JSON(t)
	env, _ := woke["env"].(map[string]any)
	if woke["status"] != "running" || env["SYSTEM_PROMPT"] != "Be brief." || env["LLM_API_KEY"] != catalog.Mask || woke["name"] != "Helper" {
		t.Fatalf("woken: %v", woke)
	}
	if s, _ := e.store.GetApp(context.Background(), org, app); s.Env["LLM_API_KEY"] != llmKey {
		t.Fatal("the secret was lost across the idle stop")
	}
	rows := e.must(t, 200, owner, "GET", appPath(org, app, "/logs"), nil).Data(t)
	if story := e.appStory(t, owner, org, app); !slices.Equal(story, []string{"started:access", "stopped:idle", "installed:"}) {
		t.Fatalf("log = %v", story)
	}
	if a, _ := rows[1]["actor"].(map[string]any); a["type"] != "schedule" || a["id"] != autostop.Name {
		t.Fatalf("idle stop actor = %v", rows[1]["actor"])
	}
}

// TestAppPermissionsAndTenancy: members use apps but do not manage them;
// private apps are for managers; other orgs' apps do not exist.
func TestAppPermissionsAndTenancy(t *testing.T) {
	e := newEnv(t)
	const owner, member, stranger = "owner@perm.test", "member@perm.test", "owner@other.test"
	org, _ := e.newOrg(t, owner, "Perm")
	e.addMember(t, org, member, access.Member)
	app := e.installChat(t, owner, org, nil).Str(t, "id")
	other, _ := e.newOrg(t, stranger, "Other")
	otherApp := e.must(t, 201, stranger, "POST", "/organizations/"+other+"/apps", map[string]any{"template_id": "team-wiki"}).Str(t, "id")

	// A member reads and uses; managing is 403.
	e.must(t, 200, member, "GET", "/organizations/"+org+"/apps", nil)
	e.must(t, 200, member, "GET", appPath(org, app), nil)
	e.must(t, 200, member, "GET", appPath(org, app, "/logs"), nil)
	e.must(t, 200, member, "POST", appPath(org, app, "/access"), nil)
	for _, c := range []struct {
		method, path string
		body         any
	}{
		{"POST", "/organizations/" + org + "/apps", map[string]any{"template_id": "team-wiki"}},
		{"PATCH", appPath(org, app), map[string]any{"name": "Mine"}},
		{"DELETE", appPath(org, app), nil},
		{"POST", appPath(org, app, "/stop"), nil},
		{"POST", appPath(org, app, "/restart"), nil},
	} {
		if r := e.call(t, member, c.method, c.path, c.body); r.Status != 403 || r.Code(t) != "forbidden" {
			t.Errorf("member %s %s → %d %s, want 403", c.method, c.path, r.Status, r.Raw)
		}
	}

	// Private: the member may still see it, but not use it.
	e.must(t, 200, owner, "PATCH", appPath(org, app), map[string]any{"access": map[string]any{"visibility": "private"}})
	e.must(t, 200, member, "GET", appPath(org, app), nil)
	if r := e.call(t, member, "POST", appPath(org, app, "/access"), nil); r.Status != 403 {
		t.Fatalf("member using a private app → %d %s", r.Status, r.Raw)
	}
	e.must(t, 200, owner, "POST", appPath(org, app, "/access"), nil)

	// Cross-tenant: 404 both ways, whether the org or the app is foreign.
	for _, c := range []struct{ method, path string }{
		{"GET", appPath(org, app)},
		{"GET", appPath(org, app, "/logs")},
		{"POST", appPath(org, app, "/access")},
		{"POST", appPath(org, app, "/stop")},
		{"PATCH", appPath(org, app)},
		{"DELETE", appPath(org, app)},
		{"GET", "/organizations/" + org + "/apps"},
	} {
		var body any
		if c.method == "PATCH" {
			body = map[string]any{"name": "Stolen"}
		}
		if r := e.call(t, stranger, c.method, c.path, body); r.Status != 404 {
			t.Errorf("stranger %s %s → %d %s, want 404", c.method, c.path, r.Status, r.Raw)
		}
		// The owner of org naming the other org's app under their own org.
		foreign := strings.Replace(c.path, app, otherApp, 1)
		if foreign != c.path {
			if r := e.call(t, owner, c.method, foreign, body); r.Status != 404 || r.Str(t, "detail") != "App not found." {
				t.Errorf("owner %s %s (another org's app) → %d %s, want 404", c.method, foreign, r.Status, r.Raw)
			}
		}
	}
	if got := e.must(t, 200, stranger, "GET", appPath(other, otherApp), nil).JSON(t); got["name"] != "Team Wiki" {
		t.Fatalf("the other org's app changed: %v", got)
	}
	if got, _ := e.store.GetApp(context.Background(), org, app); got.Name != "Helper" || got.Status != "running" {
		t.Fatalf("the org's app changed: %+v", got)
	}
}

// TestAppRoundTrips pins the DynamoDB calls of the app routes: the
// membership check plus one call for reads and for access.
func TestAppRoundTrips(t *testing.T) {
	e := newEnv(t)
	const owner = "owner@rtapps.test"
	org, _ := e.newOrg(t, owner, "RT")
	app := e.installChat(t, owner, org, nil).Str(t, "id")
	e.must(t, 200, owner, "PATCH", "/organizations/"+org, map[string]any{"name": "RT"})
	cases := []struct {
		method, path string
		max          int
	}{
		{"GET", "/apps", 0},
		{"GET", "/organizations/" + org + "/apps", 2},
		{"GET", appPath(org, app), 2},
		{"POST", appPath(org, app, "/access"), 2},
		{"GET", appPath(org, app, "/logs"), 3},
		{"POST", appPath(org, app, "/stop"), 3},
		{"POST", appPath(org, app, "/access"), 3}, // wakes it: a failed update, then the start
	}
	for _, c := range cases {
		e.calls.Reset()
		e.must(t, 200, owner, c.method, c.path, nil)
		if got := e.calls.Total(); got > c.max {
			t.Errorf("%s %s made %d DynamoDB calls, want ≤ %d (%v)", c.method, c.path, got, c.max, e.calls.Counts())
		}
	}
}
