package api_test

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orgplane/orgplane/shared/activity"
	"github.com/orgplane/orgplane/shared/api"
	"github.com/orgplane/orgplane/shared/ddb"
)

// eventIDs are every event id of an org, read behind the API's back.
func (e *env) events(t testing.TB, org string) map[string]activity.Event {
	t.Helper()
	out := map[string]activity.Event{}
	var pos ddb.Position
	for {
		es, next, err := e.store.ListActivity(context.Background(), org, activity.Filter{}, ddb.Page{Limit: 100, After: pos})
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range es {
			out[ev.ID] = ev
		}
		if next == nil {
			return out
		}
		pos = next
	}
}

// wrote runs do and returns the events it added to org.
func (e *env) wrote(t testing.TB, org string, do func()) []activity.Event {
	t.Helper()
	before := e.events(t, org)
	do()
	var added []activity.Event
	for id, ev := range e.events(t, org) {
		if _, ok := before[id]; !ok {
			added = append(added, ev)
		}
	}
	return added
}

// writesWithoutOrgActivity are the writing routes that change nothing an
// org's activity log records, and why.
var writesWithoutOrgActivity = map[string]string{
	"get-me":                  "provisions the user; the personal org's creation is recorded in that org",
	"list-my-organizations":   "provisions the user, as get-me",
	"set-active-organization": "the caller's own pointer, not a change to any org",
	"set-active-project":      "the caller's own pointer, not a change to any org",
	"create-my-export":        "the caller's own data across orgs: no org to record it in",
	"delete-organization":     "removes the org with its activity log",
}

// TestEveryWriteRecordsOneEvent drives every writing route once and checks
// that a success adds exactly one event to the org's log, by the caller,
// with the route's action, and that a failure adds none.
func TestEveryWriteRecordsOneEvent(t *testing.T) {
	f := newFlowEnv(t)
	const owner, carol, dave, erin = "owner@act.test", "carol@act.test", "dave@act.test", "erin@act.test"
	org, _ := f.newOrg(t, owner, "Activity Co")
	o := "/organizations/" + org
	covered := map[string]bool{}

	// step sends one request that must succeed with status and record one
	// event of action by actor.
	step := func(name string, status int, who, method, path string, body any, action string, headers ...string) resp {
		t.Helper()
		var r resp
		added := f.wrote(t, org, func() { r = f.must(t, status, who, method, path, body, headers...) })
		if len(added) != 1 {
			t.Fatalf("%s: %d events, want 1: %+v", name, len(added), added)
		}
		ev := added[0]
		if ev.Action != action || ev.Actor.ID != userID(who) || ev.Actor.Type != activity.ActorUser {
			t.Errorf("%s: event %s by %s %s, want %s by user %s", name, ev.Action, ev.Actor.Type, ev.Actor.ID, action, userID(who))
		}
		if ev.Context.RequestID == "" || ev.Context.RequestID != r.Header.Get("X-Request-Id") || ev.Context.IP == "" {
			t.Errorf("%s: context %+v, response X-Request-Id %q", name, ev.Context, r.Header.Get("X-Request-Id"))
		}
		covered[name] = true
		return r
	}
	// refused sends a request that must fail with status and record nothing.
	refused := func(name string, status int, who, method, path string, body any, headers ...string) {
		t.Helper()
		added := f.wrote(t, org, func() { f.must(t, status, who, method, path, body, headers...) })
		if len(added) != 0 {
			t.Errorf("%s (refused %d): %d events, want none: %+v", name, status, len(added), added)
		}
	}

	t.Run("OrgCreated", func(t *testing.T) {
		var created []activity.Event
		for _, ev := range f.events(t, org) {
			created = append(created, ev)
		}
		if len(created) != 1 || created[0].Action != activity.OrgCreated || created[0].Actor.ID != userID(owner) {
			t.Fatalf("a new org's log = %+v, want one organization.created by its owner", created)
		}
		covered["create-organization"] = true
	})
	t.Run("WalletOpenedBySystemOrOwner", func(t *testing.T) {
		step("open-wallet", 201, owner, "POST", o+"/wallet", nil, activity.WalletOpened)
		// The create-wallet consumer then finds it open and records nothing.
		if added := f.wrote(t, org, func() { f.deliver(t) }); len(added) != 0 {
			t.Fatalf("the consumer recorded %+v for a wallet already open", added)
		}
	})

	r := step("update-organization", 200, owner, "PATCH", o, map[string]any{"name": "Activity Inc"}, activity.OrgUpdated)
	refused("update-organization", 412, owner, "PATCH", o, map[string]any{"name": "Stale"}, "If-Match", `"1"`)
	_ = r
	prj := step("create-project", 201, owner, "POST", o+"/projects", map[string]any{"name": "Alpha"}, activity.ProjectCreated).Str(t, "id")
	refused("create-project", 400, owner, "POST", o+"/projects", map[string]any{"name": ""})
	step("update-project", 200, owner, "PATCH", o+"/projects/"+prj, map[string]any{"description": "first"}, activity.ProjectUpdated)

	inv := step("create-invitation", 201, owner, "POST", o+"/invitations", map[string]any{"email": dave}, activity.InvitationCreated).Str(t, "id")
	refused("create-invitation", 409, owner, "POST", o+"/invitations", map[string]any{"email": dave})
	f.deliver(t)
	step("resend-invitation", 200, owner, "POST", o+"/invitations/"+inv+"/resend", nil, activity.InvitationResent)
	step("decline-invitation", 204, dave, "POST", "/invitations/"+f.tokenFrom(t, dave)+"/decline", nil, activity.InvitationDeclined)
	inv = step("create-invitation", 201, owner, "POST", o+"/invitations", map[string]any{"email": erin}, activity.InvitationCreated).Str(t, "id")
	step("revoke-invitation", 204, owner, "DELETE", o+"/invitations/"+inv, nil, activity.InvitationRevoked)
	step("create-invitation", 201, owner, "POST", o+"/invitations", map[string]any{"email": carol}, activity.InvitationCreated)
	step("accept-invitation", 200, carol, "POST", "/invitations/"+f.tokenFrom(t, carol)+"/accept", nil, activity.InvitationAccepted)

	role := step("create-role", 201, owner, "POST", o+"/roles", map[string]any{"name": "Auditor", "level": 20,
		"permissions": []string{"organization:read", "activity:read"}}, activity.RoleCreated).Str(t, "id")
	step("update-role", 200, owner, "PATCH", o+"/roles/"+role, map[string]any{"description": "reads the log"}, activity.RoleUpdated)
	step("update-member", 200, owner, "PATCH", o+"/members/"+userID(carol), map[string]any{"role": role}, activity.MemberRoleChanged)
	refused("delete-role", 409, owner, "DELETE", o+"/roles/"+role, nil)
	step("delete-role", 204, owner, "DELETE", o+"/roles/"+role+"?reassign_to=member", nil, activity.RoleDeleted)
	step("set-my-notifications", 200, carol, "PUT", o+"/members/me/notifications", map[string]any{"email": map[string]any{"app_status": false}}, activity.NotificationsSet)

	key := as[keyBody](t, step("create-api-key", 201, owner, "POST", keysPath(org), map[string]any{"name": "CI", "permissions": []string{"organization:read"}}, activity.APIKeyCreated))
	step("update-api-key", 200, owner, "PATCH", keysPath(org)+"/"+key.ID, map[string]any{"name": "CI 2"}, activity.APIKeyUpdated)
	step("rotate-api-key", 200, owner, "POST", keysPath(org)+"/"+key.ID+"/rotate", map[string]any{"grace_period_seconds": 0}, activity.APIKeyRotated)
	step("revoke-api-key", 204, owner, "DELETE", keysPath(org)+"/"+key.ID, nil, activity.APIKeyRevoked)

	step("create-top-up", 201, owner, "POST", o+"/wallet/top-ups", map[string]any{"amount": 20000}, activity.WalletToppedUp)
	step("create-charge", 201, owner, "POST", o+"/wallet/charges", map[string]any{"amount": 5, "description": "GPU"}, activity.WalletCharged)
	refused("create-charge", 402, owner, "POST", o+"/wallet/charges", map[string]any{"amount": 1000000, "description": "too much"})
	step("change-subscription", 200, owner, "PUT", o+"/subscription", map[string]any{"plan": "pro"}, activity.SubscriptionChanged)

	app := step("install-app", 201, owner, "POST", o+"/apps", map[string]any{"template_id": "chat-assistant", "name": "Helper",
		"env": map[string]any{"LLM_API_KEY": llmKey}}, activity.AppInstalled).Str(t, "id")
	step("update-app", 200, owner, "PATCH", appPath(org, app), map[string]any{"name": "Helper 2"}, activity.AppUpdated)
	step("stop-app", 200, owner, "POST", appPath(org, app, "/stop"), nil, activity.AppStopped)
	step("access-app", 200, carol, "POST", appPath(org, app, "/access"), nil, activity.AppWoken)
	step("restart-app", 200, owner, "POST", appPath(org, app, "/restart"), nil, activity.AppRestarted)
	step("uninstall-app", 204, owner, "DELETE", appPath(org, app), nil, activity.AppUninstalled)

	step("create-export", 202, owner, "POST", o+"/exports", nil, activity.ExportRequested)
	step("create-activity-export", 202, owner, "POST", o+"/activity/exports", map[string]any{"format": "csv"}, activity.ExportRequested)
	step("delete-project", 204, owner, "DELETE", o+"/projects/"+prj, nil, activity.ProjectDeleted)
	step("transfer-ownership", 200, owner, "POST", o+"/transfer-ownership", map[string]any{"user_id": userID(carol)}, activity.OwnershipTransferred)
	f.addMember(t, org, dave, "member")
	step("remove-member", 204, carol, "DELETE", o+"/members/"+userID(dave), nil, activity.MemberRemoved)
	step("leave-organization", 204, owner, "POST", o+"/leave", nil, activity.MemberLeft)

	for _, rt := range api.Routes {
		if _, exempt := writesWithoutOrgActivity[rt.Name]; rt.Writes && !exempt && !covered[rt.Name] {
			t.Errorf("route %s writes but no test step checks its activity event", rt.Name)
		}
	}
}

// TestActivityEvents checks what events say: changes from/to, no secret,
// the system as actor, and the filters across pages.
func TestActivityEvents(t *testing.T) {
	e := newEnv(t)
	const owner, mate = "owner@log.test", "mate@log.test"
	org, _ := e.newOrg(t, owner, "Log Co")
	o := "/organizations/" + org
	e.must(t, 200, owner, "PATCH", o, map[string]any{"name": "Log Inc", "description": "logs"})
	key := e.createKey(t, owner, org, map[string]any{"name": "Bot", "permissions": []string{"organization:read", "projects:create", "projects:read"}})
	prj := e.must(t, 201, "", "POST", o+"/projects", map[string]any{"name": "By key"}, bearer(key.Secret)...).Str(t, "id")
	e.addMember(t, org, mate, "member")
	for i := range 2 {
		e.must(t, 201, owner, "POST", o+"/projects", map[string]any{"name": fmt.Sprintf("P%d", i)})
	}

	type page struct {
		Data       []map[string]any `json:"data"`
		NextCursor *string          `json:"next_cursor"`
	}
	// all follows the cursor to the end and returns the actions, newest first.
	all := func(t *testing.T, who, query string) []string {
		t.Helper()
		var got []string
		path := o + "/activity?limit=3"
		if query != "" {
			path += "&" + query
		}
		for {
			p := as[page](t, e.must(t, 200, who, "GET", path, nil))
			for _, ev := range p.Data {
				got = append(got, ev["action"].(string))
			}
			if p.NextCursor == nil {
				return got
			}
			path = o + "/activity?limit=3&cursor=" + url.QueryEscape(*p.NextCursor)
			if query != "" {
				path += "&" + query
			}
		}
	}

	t.Run("ChangesFromTo", func(t *testing.T) {
		p := as[page](t, e.must(t, 200, owner, "GET", o+"/activity?action=organization.updated", nil))
		if len(p.Data) != 1 {
			t.Fatalf("organization.updated events: %+v", p.Data)
		}
		ch := p.Data[0]["changes"].(map[string]any)
		name := ch["name"].(map[string]any)
		if name["from"] != "Log Co" || name["to"] != "Log Inc" || ch["description"] == nil {
			t.Errorf("changes = %v", ch)
		}
	})
	t.Run("KeyIsActor", func(t *testing.T) {
		p := as[page](t, e.must(t, 200, owner, "GET", o+"/activity?actor_type=api_key", nil))
		if len(p.Data) != 1 {
			t.Fatalf("api_key events: %+v", p.Data)
		}
		actor := p.Data[0]["actor"].(map[string]any)
		targets := p.Data[0]["targets"].([]any)
		if actor["id"] != key.ID || actor["name"] != "Bot" || targets[0].(map[string]any)["id"] != prj {
			t.Errorf("event %+v", p.Data[0])
		}
	})
	t.Run("NoSecret", func(t *testing.T) {
		for _, ev := range e.events(t, org) {
			if s := fmt.Sprintf("%+v", ev); strings.Contains(s, key.Secret) || strings.Contains(s, key.Secret[len(key.Secret)-12:]) {
				t.Errorf("an event holds the key's secret: %s", s)
			}
		}
	})
	t.Run("Filters", func(t *testing.T) {
		everything := all(t, owner, "")
		want := []string{"project.created", "project.created", "member.joined", "project.created", "api_key.created",
			"organization.updated", "organization.created"}
		if !slices.Equal(everything, want) {
			t.Errorf("every event, newest first = %v, want %v", everything, want)
		}
		if got := all(t, owner, "action=project.*"); len(got) != 3 || slices.ContainsFunc(got, func(a string) bool { return !strings.HasPrefix(a, "project.") }) {
			t.Errorf("project.* = %v", got)
		}
		if got := all(t, owner, "actor_id="+key.ID); !slices.Equal(got, []string{"project.created"}) {
			t.Errorf("actor_id=key = %v", got)
		}
		if got := all(t, owner, "target_id="+prj); !slices.Equal(got, []string{"project.created"}) {
			t.Errorf("target_id=project = %v", got)
		}
		if got := all(t, owner, "actor_type=user&action=project.created"); len(got) != 2 {
			t.Errorf("users' project.created = %v", got)
		}
		future := url.QueryEscape(time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
		if got := all(t, owner, "since="+future); len(got) != 0 {
			t.Errorf("since an hour from now = %v", got)
		}
		past := url.QueryEscape(time.Now().Add(-time.Hour).UTC().Format(time.RFC3339))
		if got := all(t, owner, "until="+past); len(got) != 0 {
			t.Errorf("until an hour ago = %v", got)
		}
		if got := all(t, owner, "since="+past); !slices.Equal(got, everything) {
			t.Errorf("since an hour ago = %v, want %v", got, everything)
		}
	})
	t.Run("ErrCursorOfAnotherFilter", func(t *testing.T) {
		p := as[page](t, e.must(t, 200, owner, "GET", o+"/activity?limit=1&action=project.*", nil))
		r := e.call(t, owner, "GET", o+"/activity?limit=1&action=member.*&cursor="+url.QueryEscape(*p.NextCursor), nil)
		if r.Status != 400 || r.Code(t) != "invalid_cursor" {
			t.Errorf("a cursor of another filter: %d %s", r.Status, r.Raw)
		}
	})
	t.Run("ErrBadFilters", func(t *testing.T) {
		for _, q := range []string{"action=member", "action=MEMBER.*", "actor_type=robot", "since=yesterday",
			"since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z", "target_id=" + strings.Repeat("x", 65), "colour=red"} {
			if r := e.call(t, owner, "GET", o+"/activity?"+q, nil); r.Status != 400 {
				t.Errorf("?%s → %d, want 400", q, r.Status)
			}
		}
	})
	t.Run("ErrKeyWithoutPermission", func(t *testing.T) {
		if r := e.call(t, "", "GET", o+"/activity", nil, bearer(key.Secret)...); r.Status != 403 {
			t.Errorf("a key without activity:read reading the log → %d, want 403", r.Status)
		}
	})
}
