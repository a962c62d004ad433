package events_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/orgplane/orgplane/shared/api"
	"github.com/orgplane/orgplane/shared/apispec"
	"github.com/orgplane/orgplane/shared/app"
	appdeps "github.com/orgplane/orgplane/shared/app/deps"
	"github.com/orgplane/orgplane/shared/app/web"
	"github.com/orgplane/orgplane/shared/auth"
	"github.com/orgplane/orgplane/shared/ddb"
	"github.com/orgplane/orgplane/shared/ddblocal"
	"github.com/orgplane/orgplane/shared/ddbtest"
	"github.com/orgplane/orgplane/shared/testkit"
	"github.com/orgplane/orgplane/shared/triggers"
)

func TestMain(m *testing.M) { ddbtest.Main(m) }

const (
	issuer   = "https://issuer.orgplane.test"
	audience = "orgplane-events"
	appURL   = "https://app.orgplane.test"
)

// functions is what a deployment runs, over a fresh table: the app wired
// from the environment exactly as app.MustLoad wires it in Lambda, its
// caller's token, and the values the fixtures' placeholders stand for.
type functions struct {
	app    *app.App
	server *api.Server // as the HTTP functions build it (web.API)
	// readOnly serves the read-only routes with a client whose writes
	// fail, as their functions' IAM policy makes them fail in AWS.
	readOnly *api.Server
	client   *dynamodb.Client
	table    string
	mail     *testkit.Outbox
	vars     map[string]string
}

func newFunctions(t *testing.T) *functions {
	t.Helper()
	client, table := ddbtest.NewTable(t)
	dev, err := auth.NewDevIssuer(issuer, audience)
	if err != nil {
		t.Fatal(err)
	}
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(dev.JWKS())
	}))
	t.Cleanup(jwks.Close)

	// The environment the stack gives every function (plus the local
	// endpoint), read by the same FromEnv as in Lambda.
	for k, v := range map[string]string{
		"TABLE_NAME":          table,
		"DYNAMODB_ENDPOINT":   ddbtest.Endpoint(t),
		"AWS_REGION":          ddblocal.Region,
		"OIDC_ISSUER":         issuer,
		"OIDC_JWKS_URL":       jwks.URL,
		"OIDC_AUDIENCE":       audience,
		"CURSOR_SECRET":       strings.Repeat("c", 64),
		"INVITE_TOKEN_SECRET": strings.Repeat("i", 64),
		"APP_URL":             appURL,
		"SMTP_ADDR":           "",
		"MAIL_FROM":           "",
		"APP_IDLE_TIMEOUT":    "",
	} {
		t.Setenv(k, v)
	}
	cfg, err := app.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}

	roClient, err := ddblocal.NewClient(t.Context(), ddbtest.Endpoint(t), func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, denyWrites)
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := web.API(a)
	ro := *srv
	ro.Store = ddb.New(roClient, table)

	token, err := dev.Token("ada@example.com", "Ada Lovelace", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return &functions{app: a, server: srv, readOnly: &ro, client: client, table: table, mail: &testkit.Outbox{},
		vars: map[string]string{"TOKEN": token}}
}

// denyWrites fails every write call of the client it is added to.
func denyWrites(stack *middleware.Stack) error {
	op := stack.ID()
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("denyWrites",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (
			middleware.InitializeOutput, middleware.Metadata, error,
		) {
			switch op {
			case "PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems":
				return middleware.InitializeOutput{}, middleware.Metadata{},
					fmt.Errorf("AccessDeniedException: a read-only route called %s; in AWS its function may only read", op)
			}
			return next.HandleInitialize(ctx, in)
		}), middleware.Before)
}

var placeholder = regexp.MustCompile(`\{\{[A-Z_]+\}\}`)

// load reads a fixture and fills its placeholders.
func (f *functions) load(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range f.vars {
		b = bytes.ReplaceAll(b, []byte("{{"+k+"}}"), []byte(v))
	}
	if left := placeholder.Find(b); left != nil {
		t.Fatalf("%s: no value for %s", name, left)
	}
	if !json.Valid(b) {
		t.Fatalf("%s is not JSON", name)
	}
	return b
}

// invoke runs handler the way the Lambda runtime does: the raw event in,
// the raw response out.
func invoke(t *testing.T, handler any, payload []byte, out any) {
	t.Helper()
	resp, err := lambda.NewHandler(handler).Invoke(t.Context(), payload)
	if err != nil {
		t.Fatalf("handler returned an error: %v", err)
	}
	if out != nil {
		if err := json.Unmarshal(resp, out); err != nil {
			t.Fatalf("response %s: %v", resp, err)
		}
	}
}

// response is an API fixture's result.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body %s: %v", r.body, err)
	}
	return m
}

// api feeds an API Gateway fixture to its route's function through the
// httpadapter, as API Gateway and the Lambda runtime do, and checks the
// response against openapi.yaml.
func (f *functions) api(t *testing.T, name string) response {
	t.Helper()
	payload := f.load(t, name)
	var req events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(payload, &req); err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(api.Routes, func(r api.Route) bool { return r.RouteKey() == req.RouteKey })
	if i < 0 {
		t.Fatalf("%s: no route %q", name, req.RouteKey)
	}
	rt := api.Routes[i]
	h := web.Route(f.app, rt.Name)
	if !rt.Writes {
		var err error
		if h, err = f.readOnly.Handler(rt.Name); err != nil {
			t.Fatal(err)
		}
	}

	var out events.APIGatewayV2HTTPResponse
	invoke(t, httpadapter.NewV2(h).ProxyWithContext, payload, &out)
	r := response{status: out.StatusCode, header: http.Header{}, body: []byte(out.Body)}
	for k, v := range out.Headers {
		r.header.Set(k, v)
	}
	for k, vs := range out.MultiValueHeaders {
		r.header[http.CanonicalHeaderKey(k)] = vs
	}
	if out.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(out.Body)
		if err != nil {
			t.Fatal(err)
		}
		r.body = b
	}

	hr := httptest.NewRequest(req.RequestContext.HTTP.Method, req.RawPath, nil)
	for k, v := range req.Headers {
		hr.Header.Set(k, v)
	}
	apispec.Load(t).ValidateResponse(t, hr, r.status, r.header, r.body)
	return r
}

// call is a setup request straight to the local mux (not a fixture).
func (f *functions) call(t *testing.T, method, path, body string) map[string]any {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+f.vars["TOKEN"])
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	f.server.Mux().ServeHTTP(rec, req)
	if rec.Code >= 300 {
		t.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
	}
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return m
}

func wantStatus(t *testing.T, r response, want int) {
	t.Helper()
	if r.status != want {
		t.Fatalf("status %d, want %d; body %s", r.status, want, r.body)
	}
}

// wantProblem checks an RFC 9457 problem with the status and, if given,
// the stable code.
func wantProblem(t *testing.T, r response, status int, code string) {
	t.Helper()
	wantStatus(t, r, status)
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Errorf("Content-Type %q, want application/problem+json", ct)
	}
	p := r.json(t)
	if p["status"] != float64(status) || p["title"] == "" || p["type"] == nil {
		t.Errorf("problem %s lacks type, title or status %d", r.body, status)
	}
	if code != "" && p["code"] != code {
		t.Errorf("problem code %v, want %s", p["code"], code)
	}
}

func TestAPIRequests(t *testing.T) {
	f := newFunctions(t)

	t.Run("ReadOnlyGuard", func(t *testing.T) {
		// The guard itself: a write through the read-only store fails.
		_, _, err := f.readOnly.Store.EnsureUser(t.Context(), auth.Principal{
			UserID: auth.UserID(issuer, "guard"), Issuer: issuer, Subject: "guard", Email: "guard@example.com", Name: "Guard"})
		if err == nil || !strings.Contains(err.Error(), "AccessDeniedException") {
			t.Fatalf("write through the read-only store: err = %v", err)
		}
	})
	t.Run("GetMe", func(t *testing.T) {
		r := f.api(t, "api-get-me.json")
		wantStatus(t, r, http.StatusOK)
		me := r.json(t)
		if id, _ := me["id"].(string); !strings.HasPrefix(id, "usr_") || me["email"] != "ada@example.com" {
			t.Errorf("GET /me = %s, want the caller's user", r.body)
		}
	})
	t.Run("CreateOrganization", func(t *testing.T) {
		r := f.api(t, "api-create-organization.json")
		wantStatus(t, r, http.StatusCreated)
		org := r.json(t)
		id, _ := org["id"].(string)
		if !strings.HasPrefix(id, "org_") || org["slug"] != "acme-robotics" {
			t.Fatalf("POST /organizations = %s", r.body)
		}
		f.vars["ORG_ID"] = id
	})
	t.Run("ErrSlugTaken", func(t *testing.T) {
		wantProblem(t, f.api(t, "api-create-organization.json"), http.StatusConflict, "slug_taken")
	})
	t.Run("ErrMalformedBody", func(t *testing.T) {
		wantProblem(t, f.api(t, "api-create-organization-malformed.json"), http.StatusBadRequest, "")
	})
	t.Run("GetOrganization", func(t *testing.T) {
		if f.vars["ORG_ID"] == "" {
			t.Skip("no organization was created")
		}
		// A read-only route: served with a client that cannot write.
		r := f.api(t, "api-get-organization.json")
		wantStatus(t, r, http.StatusOK)
		if org := r.json(t); org["id"] != f.vars["ORG_ID"] {
			t.Errorf("GET /organizations/{org} = %s", r.body)
		}
	})
	t.Run("ErrNotMember", func(t *testing.T) {
		wantProblem(t, f.api(t, "api-get-organization-not-member.json"), http.StatusNotFound, "")
	})
	t.Run("ErrUnauthenticated", func(t *testing.T) {
		r := f.api(t, "api-get-organization-unauthenticated.json")
		wantProblem(t, r, http.StatusUnauthorized, "")
		if r.header.Get("WWW-Authenticate") == "" {
			t.Error("401 without WWW-Authenticate")
		}
	})
}

// stream feeds a stream fixture to a consumer through the Lambda entry
// path, after the consumer's filter, as the event source mapping does.
func (f *functions) stream(t *testing.T, name, consumer string) events.DynamoDBEventResponse {
	t.Helper()
	c, ok := triggers.FindStream(consumer)
	if !ok {
		t.Fatalf("no stream consumer %s", consumer)
	}
	var ev events.DynamoDBEvent
	if err := json.Unmarshal(f.load(t, name), &ev); err != nil {
		t.Fatal(err)
	}
	for _, rec := range ev.Records {
		if !c.Match(rec) {
			t.Fatalf("%s: record %s does not pass %s's filters %v", name, rec.EventID, consumer, c.Patterns())
		}
	}
	payload, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	deps := appdeps.Of(f.app)
	deps.Mail = f.mail.Sender()
	var resp events.DynamoDBEventResponse
	invoke(t, c.New(deps), payload, &resp)
	return resp
}

func failures(r events.DynamoDBEventResponse) []string {
	ids := []string{}
	for _, f := range r.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	return ids
}

func TestStreamOrganizationInsert(t *testing.T) {
	f := newFunctions(t)
	org := f.call(t, "POST", "/organizations", `{"name":"Acme Robotics"}`)
	f.vars["ORG_ID"] = org["id"].(string)

	// Delivered twice, as a retried batch would be: one wallet, no failures.
	for range 2 {
		if got := failures(f.stream(t, "stream-organization-insert.json", "create-wallet")); len(got) != 0 {
			t.Fatalf("failures %v, want none", got)
		}
	}
	w := f.call(t, "GET", "/organizations/"+f.vars["ORG_ID"]+"/wallet", "")
	if w["balance"] != float64(0) || w["status"] != "active" {
		t.Errorf("wallet %v, want an active wallet with balance 0", w)
	}
	out, err := f.client.Query(t.Context(), &dynamodb.QueryInput{
		TableName:                 aws.String(f.table),
		KeyConditionExpression:    aws.String("PK = :pk AND SK = :sk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "ORG#" + f.vars["ORG_ID"]}, ":sk": &types.AttributeValueMemberS{Value: "WALLET"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.Count != 1 {
		t.Errorf("%d wallet items, want 1", out.Count)
	}
}

func TestStreamInvitationEmailPoisoned(t *testing.T) {
	f := newFunctions(t)
	org := f.call(t, "POST", "/organizations", `{"name":"Acme Robotics"}`)
	f.vars["ORG_ID"] = org["id"].(string)
	inv := f.call(t, "POST", "/organizations/"+f.vars["ORG_ID"]+"/invitations", `{"email":"grace@example.com","name":"Grace Hopper"}`)
	f.vars["INVITATION_ID"] = inv["id"].(string)
	f.vars["NONCE"] = f.sendNonce(t, f.vars["ORG_ID"], f.vars["INVITATION_ID"])

	var ev events.DynamoDBEvent
	if err := json.Unmarshal(f.load(t, "stream-invitation-email-insert-poisoned.json"), &ev); err != nil {
		t.Fatal(err)
	}
	poisoned := ev.Records[1].Change.SequenceNumber

	// Redelivered, the batch still sends one email and blames only the
	// poisoned record.
	for i := range 2 {
		got := failures(f.stream(t, "stream-invitation-email-insert-poisoned.json", "send-invitation"))
		if !slices.Equal(got, []string{poisoned}) {
			t.Fatalf("delivery %d: failures %v, want only the poisoned record %s", i+1, got, poisoned)
		}
	}
	sent := f.mail.Messages()
	if len(sent) != 1 {
		t.Fatalf("%d emails sent, want 1: %+v", len(sent), sent)
	}
	if m := sent[0]; m.To != "grace@example.com" || !strings.Contains(m.Text, appURL+"/invitations/") {
		t.Errorf("email to %s without an accept link:\n%s", m.To, m.Text)
	}
}

// sendNonce finds the nonce of the invitation's send request, which the
// API never shows (it derives the token).
func (f *functions) sendNonce(t *testing.T, org, inv string) string {
	t.Helper()
	out, err := f.client.Query(t.Context(), &dynamodb.QueryInput{
		TableName:              aws.String(f.table),
		KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :sk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: "ORG#" + org},
			":sk": &types.AttributeValueMemberS{Value: "INVITEMAIL#" + inv + "#"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Items) != 1 {
		t.Fatalf("%d send requests for %s, want 1", len(out.Items), inv)
	}
	n, ok := out.Items[0]["nonce"].(*types.AttributeValueMemberS)
	if !ok {
		t.Fatalf("send request without a nonce: %v", out.Items[0])
	}
	return n.Value
}

func TestScheduleStopIdleApps(t *testing.T) {
	f := newFunctions(t)
	org := f.call(t, "POST", "/organizations", `{"name":"Acme Robotics"}`)["id"].(string)
	inst := f.call(t, "POST", "/organizations/"+org+"/apps",
		`{"template_id":"calendar-sync","name":"Team calendar","env":{"GOOGLE_CLIENT_ID":"id","GOOGLE_CLIENT_SECRET":"secret"}}`)
	appID := inst["id"].(string)

	s, ok := triggers.FindSchedule("stop-idle-apps")
	if !ok {
		t.Fatal("no schedule stop-idle-apps")
	}
	var ev events.EventBridgeEvent
	if err := json.Unmarshal(f.load(t, "schedule-stop-idle-apps.json"), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.DetailType != "Scheduled Event" || ev.Source != "aws.events" {
		t.Fatalf("not a scheduled event: %+v", ev)
	}
	// The run happens a day later, so the new instance has been idle
	// longer than the timeout.
	deps := appdeps.Of(f.app)
	deps.Now = func() time.Time { return time.Now().Add(24 * time.Hour) }
	for range 2 { // a second run finds nothing left to stop
		invoke(t, s.New(deps), f.load(t, "schedule-stop-idle-apps.json"), nil)
	}
	got := f.call(t, "GET", "/organizations/"+org+"/apps/"+appID, "")
	if got["status"] != "stopped" || got["stop_reason"] != "idle" {
		t.Errorf("app %s after the run: status %v, stop_reason %v; want stopped, idle", appID, got["status"], got["stop_reason"])
	}
}

// subscribedOrg is an org on pro whose wallet holds 2000 after the upgrade.
func (f *functions) subscribedOrg(t *testing.T) string {
	t.Helper()
	org := f.call(t, "POST", "/organizations", `{"name":"Acme Billing"}`)["id"].(string)
	f.call(t, "POST", "/organizations/"+org+"/wallet", "")
	f.call(t, "POST", "/organizations/"+org+"/wallet/top-ups", `{"amount":4000}`)
	if got := f.call(t, "PUT", "/organizations/"+org+"/subscription", `{"plan":"pro"}`); got["plan"] != "pro" {
		t.Fatalf("upgrade: %v", got)
	}
	return org
}

func TestScheduleRenewSubscriptions(t *testing.T) {
	f := newFunctions(t)
	org := f.subscribedOrg(t)
	s, ok := triggers.FindSchedule("renew-subscriptions")
	if !ok {
		t.Fatal("no schedule renew-subscriptions")
	}
	// The run happens after the month has ended; twice, as a retried
	// invocation would: one charge.
	deps := appdeps.Of(f.app)
	deps.Now = func() time.Time { return time.Now().AddDate(0, 1, 1) }
	for range 2 {
		invoke(t, s.New(deps), f.load(t, "schedule-renew-subscriptions.json"), nil)
	}
	if w := f.call(t, "GET", "/organizations/"+org+"/wallet", ""); w["balance"] != float64(0) {
		t.Errorf("wallet after the renewal: %v, want balance 0 (two charges of 2000)", w)
	}
}

func TestStreamWalletLowBalance(t *testing.T) {
	f := newFunctions(t)
	f.vars["ORG_ID"] = f.subscribedOrg(t)
	for range 2 { // redelivered: one email
		if got := failures(f.stream(t, "stream-wallet-low-balance.json", "send-billing-email")); len(got) != 0 {
			t.Fatalf("failures %v, want none", got)
		}
	}
	if msgs := f.mail.Messages(); len(msgs) != 1 || msgs[0].Subject != "Your Orgplane credits are running low" {
		t.Fatalf("emails %+v, want one low-balance email", msgs)
	}
}

func TestStreamUsage(t *testing.T) {
	f := newFunctions(t)
	org := f.call(t, "POST", "/organizations", `{"name":"Acme Robotics"}`)
	f.vars["ORG_ID"] = org["id"].(string)
	now := time.Now().UTC()
	f.vars["NOW"] = now.Format(time.RFC3339Nano)
	f.vars["WINDOW_START"] = strconv.FormatInt(now.Truncate(time.Minute).Unix(), 10)

	// Delivered twice, as a retried batch would be: counted once.
	for range 2 {
		if got := failures(f.stream(t, "stream-usage.json", "count-usage")); len(got) != 0 {
			t.Fatalf("failures %v, want none", got)
		}
	}
	a := f.call(t, "GET", "/organizations/"+f.vars["ORG_ID"]+"/analytics?months=1", "")
	got, err := json.Marshal(a["monthly"])
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf(`[{"active_api_keys":1,"api_rejected":{"budget":0,"invalid":0,"rate_limited":1},`+
		`"api_requests":{"ai_agent":0,"standard":2},"credits_spent":40,"end":"%s","members_joined":0,"month":"%s",`+
		`"partial":true,"projects_created":1,"projects_deleted":0,"start":"%s"}]`,
		time.Date(now.Year(), now.Month()+1, 1, 0, 0, 0, 0, time.UTC).Format(time.RFC3339), now.Format("2006-01"),
		time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).Format(time.RFC3339))
	if string(got) != want {
		t.Errorf("monthly\n got %s\nwant %s", got, want)
	}
}
