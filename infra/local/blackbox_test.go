//go:build blackbox && unix

package main

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/orgplane/orgplane/infra/deploy"
	"github.com/orgplane/orgplane/infra/local/lambdamode"
	"github.com/orgplane/orgplane/shared/repo"
)

// The black-box suite (make test-blackbox): the README's walk-through,
// over HTTP only, against the stack as `make run` starts it, in both
// modes. make test runs TestStackSmoke and TestStackSmokeLambda instead.

func TestBlackBoxDefault(t *testing.T) { walkthrough(t, false) }

func TestBlackBoxLambda(t *testing.T) {
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range deploy.Current().MustAll() {
		names = append(names, f.Name)
	}
	if err := lambdamode.Build(t.Context(), root, names...); err != nil {
		t.Fatal(err)
	}
	walkthrough(t, true)
}

// client calls the running stack as curl would.
type client struct {
	t     *testing.T
	base  string
	token string
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) json(t *testing.T, out any) {
	t.Helper()
	if err := json.Unmarshal(r.body, out); err != nil {
		t.Fatalf("%d %s: %v", r.status, r.body, err)
	}
}

func (c client) call(method, path, body string, headers ...string) reply {
	c.t.Helper()
	req, err := http.NewRequestWithContext(c.t.Context(), method, c.base+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: b}
}

func (c client) want(status int, method, path, body string, headers ...string) reply {
	c.t.Helper()
	r := c.call(method, path, body, headers...)
	if r.status != status {
		c.t.Fatalf("%s %s: %d %s, want %d", method, path, r.status, r.body, status)
	}
	return r
}

type problemCode struct {
	Code string `json:"code"`
}

func wantCode(t *testing.T, r reply, status int, code string) {
	t.Helper()
	var p problemCode
	r.json(t, &p)
	if r.status != status || p.Code != code {
		t.Fatalf("%d %s, want %d %s", r.status, r.body, status, code)
	}
}

var inviteLink = regexp.MustCompile(`/invitations/([A-Za-z0-9_-]+)`)

func walkthrough(t *testing.T, lambda bool) {
	st := startStack(t, lambda, "APP_IDLE_TIMEOUT=1s")
	anon := client{t: t, base: st.base}
	token := func(email, name string) string {
		var tok struct{ Token string }
		anon.want(200, "POST", tokenPath, `{"email":"`+email+`","name":"`+name+`"}`).json(t, &tok)
		return tok.Token
	}
	ada := client{t: t, base: st.base, token: token("ada@example.com", "Ada")}

	var me struct{ ID, Email string }
	ada.want(200, "GET", "/me", "").json(t, &me)
	if !strings.HasPrefix(me.ID, "usr_") || me.Email != "ada@example.com" {
		t.Fatalf("GET /me: %+v", me)
	}

	var created struct{ ID, Slug string }
	ada.want(201, "POST", "/organizations", `{"name":"Acme Rockets"}`).json(t, &created)
	if created.Slug != "acme-rockets" {
		t.Fatalf("slug %q", created.Slug)
	}
	wantCode(t, ada.call("POST", "/organizations", `{"name":"Other","slug":"acme-rockets"}`), 409, "slug_taken")
	orgPath := "/organizations/" + created.ID
	st.waitFor(t, "the wallet (create-wallet consumer)", func() bool {
		var o struct {
			WalletStatus string `json:"wallet_status"`
		}
		ada.want(200, "GET", orgPath, "").json(t, &o)
		return o.WalletStatus == "active"
	})

	t.Run("Projects", func(t *testing.T) {
		ada.want(201, "POST", orgPath+"/projects", `{"name":"Launch site"}`)
		var list struct {
			Data []struct{ Name string } `json:"data"`
		}
		ada.want(200, "GET", orgPath+"/projects?sort=name&q=launch&limit=10", "").json(t, &list)
		if len(list.Data) != 1 || list.Data[0].Name != "Launch site" {
			t.Fatalf("projects %+v", list)
		}
	})
	t.Run("MembersAndRoles", func(t *testing.T) {
		ada.want(200, "GET", orgPath+"/members?role=owner", "")
		ada.want(200, "GET", orgPath+"/roles", "")
	})
	t.Run("ErrStaleIfMatch", func(t *testing.T) {
		r := ada.want(200, "GET", orgPath, "")
		etag := r.header.Get("ETag")
		ada.want(200, "PATCH", orgPath, `{"description":"We fly"}`, "If-Match", etag)
		wantCode(t, ada.call("PATCH", orgPath, `{"description":"Again"}`, "If-Match", etag), 412, "version_conflict")
	})
	t.Run("Invitation", func(t *testing.T) {
		ada.want(201, "POST", orgPath+"/invitations", `{"email":"bob@example.com","role":"admin"}`)
		var inv string
		st.waitFor(t, "the invitation email (send-invitation consumer)", func() bool {
			resp, err := http.Get(st.mailWeb + "/email")
			if err != nil {
				return false
			}
			defer resp.Body.Close()
			var mails []struct {
				Text string `json:"text"`
				To   []struct {
					Address string `json:"address"`
				} `json:"to"`
			}
			if json.NewDecoder(resp.Body).Decode(&mails) != nil {
				return false
			}
			for _, m := range mails {
				if len(m.To) == 1 && m.To[0].Address == "bob@example.com" {
					if l := inviteLink.FindStringSubmatch(m.Text); l != nil {
						inv = l[1]
						return true
					}
				}
			}
			return false
		})
		anon.want(200, "GET", "/invitations/"+inv, "")
		bob := client{t: t, base: st.base, token: token("bob@example.com", "Bob")}
		bob.want(200, "POST", "/invitations/"+inv+"/accept", "")
		if r := bob.call("POST", "/invitations/"+inv+"/accept", ""); r.status != 410 {
			t.Fatalf("second accept: %d %s, want 410", r.status, r.body)
		}
	})
	t.Run("Credits", func(t *testing.T) {
		topUp := `{"amount":500,"reference":"po-1"}`
		first := ada.want(201, "POST", orgPath+"/wallet/top-ups", topUp, "Idempotency-Key", "po-1")
		again := ada.call("POST", orgPath+"/wallet/top-ups", topUp, "Idempotency-Key", "po-1")
		if again.header.Get("Idempotent-Replayed") != "true" || string(again.body) != string(first.body) {
			t.Fatalf("replay: %d %q %s", again.status, again.header.Get("Idempotent-Replayed"), again.body)
		}
		wantCode(t, ada.call("POST", orgPath+"/wallet/top-ups", `{"amount":5,"reference":"po-1"}`, "Idempotency-Key", "po-1"),
			409, "idempotency_mismatch")
		ada.want(201, "POST", orgPath+"/wallet/charges", `{"amount":120,"description":"render"}`)
		wantCode(t, ada.call("POST", orgPath+"/wallet/charges", `{"amount":100000,"description":"big"}`), 402, "insufficient_credits")
		var txns struct {
			Data []json.RawMessage `json:"data"`
		}
		ada.want(200, "GET", orgPath+"/wallet/transactions", "").json(t, &txns)
		if len(txns.Data) != 2 {
			t.Fatalf("%d transactions, want 2", len(txns.Data))
		}
	})
	t.Run("AppStopsWhenIdle", func(t *testing.T) {
		ada.want(200, "GET", "/apps?category=ai", "")
		var app struct{ ID string }
		ada.want(201, "POST", orgPath+"/apps",
			`{"template_id":"doc-summarizer","name":"Docs","env":{"LLM_API_KEY":"sk-secret"}}`).json(t, &app)
		appPath := orgPath + "/apps/" + app.ID
		time.Sleep(1100 * time.Millisecond) // past APP_IDLE_TIMEOUT=1s: the job has something to stop
		anon.want(200, "POST", "/dev/schedules/stop-idle-apps/run", "")
		var got struct {
			Status     string `json:"status"`
			StopReason string `json:"stop_reason"`
		}
		ada.want(200, "GET", appPath, "").json(t, &got)
		if got.Status != "stopped" || got.StopReason != "idle" {
			t.Fatalf("after the job: %+v, want stopped (idle)", got)
		}
		ada.want(200, "POST", appPath+"/access", "")
		ada.want(200, "GET", appPath+"/logs", "")
	})
	t.Run("Export", func(t *testing.T) {
		var x struct{ ID string }
		ada.want(202, "POST", orgPath+"/exports", "").json(t, &x)
		var got struct {
			Status      string  `json:"status"`
			DownloadURL *string `json:"download_url"`
		}
		st.waitFor(t, "the export (build-export consumer)", func() bool {
			ada.want(200, "GET", orgPath+"/exports/"+x.ID, "").json(t, &got)
			return got.Status == "ready"
		})
		resp, err := http.Get(*got.DownloadURL) // no token: the link is presigned
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			t.Fatalf("download %d: %v", resp.StatusCode, err)
		}
		raw, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]json.RawMessage
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatal(err)
		}
		for _, section := range []string{"organization", "members", "invitations", "projects", "wallet", "ledger", "apps", "activity"} {
			if len(doc[section]) == 0 || string(doc[section]) == "null" || string(doc[section]) == "[]" {
				t.Errorf("the export's %s is empty", section)
			}
		}
		if strings.Contains(string(raw), "sk-secret") {
			t.Error("the export holds the app's secret")
		}
		tampered, err := http.Get(strings.Replace(*got.DownloadURL, "X-Amz-Signature=", "X-Amz-Signature=0", 1))
		if err != nil {
			t.Fatal(err)
		}
		tampered.Body.Close()
		if tampered.StatusCode != 403 {
			t.Errorf("a tampered link: %d", tampered.StatusCode)
		}
	})
	t.Run("ErrProblem", func(t *testing.T) {
		r := anon.call("GET", "/me", "")
		if r.status != 401 || !strings.HasPrefix(r.header.Get("Content-Type"), "application/problem+json") {
			t.Fatalf("GET /me without a token: %d %s", r.status, r.header.Get("Content-Type"))
		}
	})

	st.stop(t, childPids(t, st.cmd.Process.Pid))
}
