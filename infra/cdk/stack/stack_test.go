package stack_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/orgplane/orgplane/infra/cdk/stack"
	"github.com/orgplane/orgplane/infra/cfnlint"
	"github.com/orgplane/orgplane/infra/deploy"
	"github.com/orgplane/orgplane/shared/api"
	"github.com/orgplane/orgplane/shared/table"
	"github.com/orgplane/orgplane/shared/triggers"
)

// Synthesizing runs aws-cdk-lib in node through jsii and takes seconds, so
// the tests share two syntheses: the full one (every real route plus
// sample stream consumers and a schedule, default prod stage) and a small
// one with the other settings (dev stage, external issuer, rate override).

// synthesized is one synthesized stack with its nested stacks.
type synthesized struct {
	stack awscdk.Stack
	// template asserts on the resources of every template together.
	template assertions.Template
	// resources are those of every template, by logical id; in nested
	// templates, references to the parent's parameters are replaced by
	// what the parent passes, so a Ref to the table reads as one.
	resources map[string]resource
	outputs   map[string]any
	fns       []deploy.Function
	// files are the templates as synthesized (the stack's first), for
	// cfn-lint and the size checks; counts are their resources.
	files  []string
	counts map[string]int
	nested map[string]awscdk.NestedStack // by construct id
}

type resource struct {
	Type           string         `json:"Type"`
	Properties     map[string]any `json:"Properties"`
	DeletionPolicy string         `json:"DeletionPolicy"`
}

type templateDoc struct {
	Resources map[string]json.RawMessage `json:"Resources"`
	Outputs   map[string]any             `json:"Outputs"`
}

var fullContext = map[string]any{
	stack.CtxSESSender:  "no-reply@orgplane.example",
	stack.CtxAlarmEmail: "ops@orgplane.example",
}

var smallContext = map[string]any{
	stack.CtxStage:          "dev",
	stack.CtxOIDCIssuer:     "https://login.example.com/",
	stack.CtxOIDCAudience:   "orgplane-web",
	stack.CtxSESSender:      "example.com",
	"idleCheckRate":         "7",
	stack.CtxAppIdleTimeout: "90m",
	stack.CtxDomainName:     "api.example.com",
	stack.CtxCertificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/abc",
}

// tempDirs are the syntheses' directories, removed when the tests end.
var tempDirs []string

func TestMain(m *testing.M) {
	code := m.Run()
	for _, d := range tempDirs {
		_ = os.RemoveAll(d)
	}
	os.Exit(code)
}

var (
	fullOnce, smallOnce sync.Once
	full, small         *synthesized
	fullErr, smallErr   error
)

func fullStack(t *testing.T) *synthesized {
	t.Helper()
	fullOnce.Do(func() { full, fullErr = synth(deploy.Current().WithSampleTriggers(), fullContext) })
	if fullErr != nil {
		t.Fatal(fullErr)
	}
	return full
}

func smallStack(t *testing.T) *synthesized {
	t.Helper()
	smallOnce.Do(func() {
		l := deploy.Current().WithSampleTriggers()
		l.Routes = l.Routes[:1]
		small, smallErr = synth(l, smallContext)
	})
	if smallErr != nil {
		t.Fatal(smallErr)
	}
	return small
}

// synth builds the stack as the app does, with a dummy bootstrap per
// function standing in for make build's.
func synth(lists deploy.Lists, ctx map[string]any) (*synthesized, error) {
	fns, err := lists.All()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "orgplane-stack-test-")
	if err != nil {
		return nil, err
	}
	tempDirs = append(tempDirs, dir)
	for _, f := range fns {
		if err := os.MkdirAll(filepath.Join(dir, "code", f.Name), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(dir, "code", f.Name, "bootstrap"), []byte(f.Name), 0o755); err != nil {
			return nil, err
		}
	}
	out := filepath.Join(dir, "cdk.out")
	app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx, Outdir: jsii.String(out)})
	cfg, err := stack.ReadConfig(app.Node(), lists)
	if err != nil {
		return nil, err
	}
	st := stack.NewOrgplaneStack(app, cfg.StackName(), &stack.Props{Lists: lists, CodeDir: filepath.Join(dir, "code"), Config: cfg})
	app.Synth(nil)

	s := &synthesized{stack: st, resources: map[string]resource{}, fns: fns, counts: map[string]int{},
		nested: map[string]awscdk.NestedStack{}}
	all := map[string]any{} // every template's resources, as written
	read := func(file string, params map[string]any) (templateDoc, error) {
		var doc templateDoc
		b, err := os.ReadFile(file)
		if err != nil {
			return doc, err
		}
		s.files = append(s.files, file)
		var tree any
		if err := json.Unmarshal(b, &tree); err != nil {
			return doc, err
		}
		if b, err = json.Marshal(substitute(tree, params)); err != nil {
			return doc, err
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			return doc, err
		}
		s.counts[file] = len(doc.Resources)
		for id, raw := range doc.Resources {
			if _, dup := s.resources[id]; dup {
				return doc, fmt.Errorf("logical id %s appears in two templates", id)
			}
			var r resource
			var whole any
			if err := json.Unmarshal(raw, &r); err != nil {
				return doc, err
			}
			if err := json.Unmarshal(raw, &whole); err != nil {
				return doc, err
			}
			s.resources[id], all[id] = r, whole
		}
		return doc, nil
	}
	parent, err := read(filepath.Join(out, *st.TemplateFile()), nil)
	if err != nil {
		return nil, err
	}
	s.outputs = parent.Outputs
	for _, c := range *st.Node().Children() {
		ns, ok := c.(awscdk.NestedStack)
		if !ok || !*awscdk.NestedStack_IsNestedStack(c) {
			continue
		}
		s.nested[*c.Node().Id()] = ns
		var res struct {
			Properties struct {
				Parameters map[string]any `json:"Parameters"`
			} `json:"Properties"`
		}
		if err := json.Unmarshal(parent.Resources[*st.GetLogicalId(ns.NestedStackResource())], &res); err != nil {
			return nil, err
		}
		params := res.Properties.Parameters
		if _, err := read(filepath.Join(out, *ns.TemplateFile()), params); err != nil {
			return nil, err
		}
	}
	s.template = assertions.Template_FromJSON(&map[string]any{"Resources": all}, nil)
	return s, nil
}

// substitute replaces each {"Ref": name} in v whose name params holds
// with its value.
func substitute(v any, params map[string]any) any {
	switch v := v.(type) {
	case map[string]any:
		if name, ok := v["Ref"].(string); ok && len(v) == 1 {
			if p, ok := params[name]; ok {
				return p
			}
		}
		for k, x := range v {
			v[k] = substitute(x, params)
		}
	case []any:
		for i, x := range v {
			v[i] = substitute(x, params)
		}
	}
	return v
}

// logicalID is the logical id of the CloudFormation resource of the
// construct at path below the stack or one of its nested stacks
// ("GetMe/Function").
func (s *synthesized) logicalID(t *testing.T, path string) string {
	t.Helper()
	parts := strings.Split(path, "/")
	c := s.stack.Node().TryFindChild(jsii.String(parts[0]))
	for _, ns := range s.nested { // a function's construct is in its group's nested stack
		if c != nil {
			break
		}
		c = ns.Node().TryFindChild(jsii.String(parts[0]))
	}
	for _, part := range parts[1:] {
		if c == nil {
			break
		}
		c = c.Node().TryFindChild(jsii.String(part))
	}
	if c == nil {
		t.Fatalf("no construct %s", path)
	}
	el := c.Node().DefaultChild().(awscdk.CfnElement)
	return *awscdk.Stack_Of(el).GetLogicalId(el)
}

func (s *synthesized) ofType(typ string) map[string]resource {
	out := map[string]resource{}
	for id, r := range s.resources {
		if r.Type == typ {
			out[id] = r
		}
	}
	return out
}

// refersTo reports whether a property value (Ref, Fn::GetAtt, Fn::Join…)
// mentions the logical id.
func refersTo(v any, logicalID string) bool {
	b, _ := json.Marshal(v)
	return strings.Contains(string(b), `"`+logicalID+`"`) || strings.Contains(string(b), `"`+logicalID+`.`)
}

func TestOneFunctionPerListEntry(t *testing.T) {
	s := fullStack(t)
	// Exactly the listed functions: the stack uses no CDK feature that adds
	// helper functions (custom resources, log retention, bucket deployment).
	s.template.ResourceCountIs(jsii.String("AWS::Lambda::Function"), jsii.Number(len(s.fns)))
	if got := len(s.ofType("AWS::Lambda::Function")); got != len(s.fns) {
		t.Fatalf("%d functions, want %d", got, len(s.fns))
	}
	for _, f := range s.fns {
		t.Run(f.Name, func(t *testing.T) {
			r := s.resources[s.logicalID(t, f.ID()+"/Function")]
			p := r.Properties
			want := map[string]any{
				"Runtime": "provided.al2023", "Handler": "bootstrap", "Architectures": []any{"arm64"},
				"MemorySize": float64(f.MemoryMB), "Timeout": float64(f.TimeoutSeconds),
			}
			for k, v := range want {
				if fmt.Sprint(p[k]) != fmt.Sprint(v) {
					t.Errorf("%s = %v, want %v", k, p[k], v)
				}
			}
			logs := s.logicalID(t, f.ID()+"/Logs")
			if !refersTo(p["LoggingConfig"], logs) {
				t.Errorf("LoggingConfig %v does not name the function's log group %s", p["LoggingConfig"], logs)
			}
			if lg := s.resources[logs].Properties["RetentionInDays"]; lg != float64(deploy.LogRetentionDays) {
				t.Errorf("log retention %v days, want %d", lg, deploy.LogRetentionDays)
			}
			vars, _ := p["Environment"].(map[string]any)["Variables"].(map[string]any)
			for _, k := range deploy.CommonEnv {
				if _, ok := vars[k]; !ok {
					t.Errorf("environment lacks %s", k)
				}
			}
			if _, ok := vars[deploy.EnvDynamoDBEndpoint]; ok {
				t.Errorf("%s is for local endpoints only", deploy.EnvDynamoDBEndpoint)
			}
			if _, ok := vars[deploy.EnvMailFrom]; ok != f.SendsEmail {
				t.Errorf("%s set = %v, want %v", deploy.EnvMailFrom, ok, f.SendsEmail)
			}
			// Secrets are deploy-time dynamic references, never values.
			for _, k := range []string{deploy.EnvCursorSecret, deploy.EnvInviteTokenSecret} {
				if b := mustJSON(vars[k]); !strings.Contains(b, "{{resolve:secretsmanager:") {
					t.Errorf("%s = %s, want a secretsmanager dynamic reference", k, b)
				}
			}
			if vars[deploy.EnvCursorSecret] != nil && mustJSON(vars[deploy.EnvCursorSecret]) == mustJSON(vars[deploy.EnvInviteTokenSecret]) {
				t.Error("the cursor and invitation secrets are the same secret")
			}
		})
	}
}

func TestOneRoutePerRoute(t *testing.T) {
	s := fullStack(t)
	routes := s.ofType("AWS::ApiGatewayV2::Route")
	if len(routes) != len(deploy.Current().Routes) {
		t.Errorf("%d API routes, want %d", len(routes), len(deploy.Current().Routes))
	}
	byKey := map[string]resource{}
	for _, r := range routes {
		key := r.Properties["RouteKey"].(string)
		if _, dup := byKey[key]; dup {
			t.Errorf("route key %s appears twice", key)
		}
		byKey[key] = r
	}
	for _, f := range s.fns {
		if f.Kind != deploy.HTTP {
			continue
		}
		r, ok := byKey[f.Route.RouteKey()]
		if !ok {
			t.Errorf("no API route %s for %s", f.Route.RouteKey(), f.Name)
			continue
		}
		// The route's integration invokes this route's function.
		integID := s.logicalID(t, f.ID()+"/Route/Integration")
		if !refersTo(r.Properties["Target"], integID) {
			t.Errorf("route %s targets %v, want %s", f.Route.RouteKey(), r.Properties["Target"], integID)
		}
		integ := s.resources[integID].Properties
		if !refersTo(integ["IntegrationUri"], s.logicalID(t, f.ID()+"/Function")) {
			t.Errorf("route %s integrates %v, not %s's function", f.Route.RouteKey(), integ["IntegrationUri"], f.Name)
		}
		if integ["PayloadFormatVersion"] != "2.0" {
			t.Errorf("route %s: payload format %v, want 2.0", f.Route.RouteKey(), integ["PayloadFormatVersion"])
		}
	}

	s.template.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Api"), map[string]any{
		"ProtocolType": "HTTP",
		"CorsConfiguration": map[string]any{
			"AllowHeaders": deploy.CORSAllowHeaders,
		},
	})
	// Browsers may call the API from the console's origin only.
	for _, api := range s.ofType("AWS::ApiGatewayV2::Api") {
		origins := api.Properties["CorsConfiguration"].(map[string]any)["AllowOrigins"].([]any)
		if len(origins) != 1 || !refersTo(origins[0], s.logicalID(t, "Console")) {
			t.Errorf("CORS origins %v, want the console distribution's only", origins)
		}
	}
	s.template.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Stage"), map[string]any{
		"StageName":  "$default",
		"AutoDeploy": true,
		"DefaultRouteSettings": map[string]any{
			"ThrottlingRateLimit":  deploy.ThrottleRateLimit,
			"ThrottlingBurstLimit": deploy.ThrottleBurstLimit,
		},
		"AccessLogSettings": map[string]any{"Format": deploy.AccessLogFormat},
	})
}

func TestTable(t *testing.T) {
	d := table.Definition
	keys := func(pk, sk string) []map[string]any {
		return []map[string]any{{"AttributeName": pk, "KeyType": "HASH"}, {"AttributeName": sk, "KeyType": "RANGE"}}
	}
	var attrs []map[string]any
	for _, a := range d.AttributeNames() {
		attrs = append(attrs, map[string]any{"AttributeName": a, "AttributeType": "S"})
	}
	var indexes []map[string]any
	for _, ix := range d.Indexes {
		indexes = append(indexes, map[string]any{"IndexName": ix.Name, "KeySchema": keys(ix.PartitionKey, ix.SortKey),
			"Projection": map[string]any{"ProjectionType": "ALL"}})
	}
	want := map[string]any{
		"KeySchema":                        keys(d.PartitionKey, d.SortKey),
		"AttributeDefinitions":             assertions.Match_ArrayWith(&[]any{attrs[0], attrs[1], attrs[2], attrs[3], attrs[4], attrs[5]}),
		"GlobalSecondaryIndexes":           indexes,
		"BillingMode":                      "PAY_PER_REQUEST",
		"PointInTimeRecoverySpecification": map[string]any{"PointInTimeRecoveryEnabled": true},
		"StreamSpecification":              map[string]any{"StreamViewType": "NEW_AND_OLD_IMAGES"},
		"TimeToLiveSpecification":          map[string]any{"AttributeName": d.TTLAttribute, "Enabled": true},
	}
	if len(attrs) != 6 {
		t.Fatalf("the test expects 6 key attributes, the definition has %d", len(attrs))
	}

	t.Run("Prod", func(t *testing.T) {
		s := fullStack(t)
		s.template.ResourceCountIs(jsii.String("AWS::DynamoDB::Table"), jsii.Number(1))
		s.template.HasResourceProperties(jsii.String("AWS::DynamoDB::Table"), want)
		s.template.HasResource(jsii.String("AWS::DynamoDB::Table"), map[string]any{
			"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
			"Properties": map[string]any{"DeletionProtectionEnabled": true},
		})
		s.template.HasResource(jsii.String("AWS::Cognito::UserPool"), map[string]any{"DeletionPolicy": "Retain"})
	})
	t.Run("Dev", func(t *testing.T) {
		s := smallStack(t)
		s.template.HasResourceProperties(jsii.String("AWS::DynamoDB::Table"), want)
		s.template.HasResource(jsii.String("AWS::DynamoDB::Table"), map[string]any{"DeletionPolicy": "Delete"})
	})
}

func TestStreamConsumers(t *testing.T) {
	s := fullStack(t)
	mappings := s.ofType("AWS::Lambda::EventSourceMapping")
	consumers := deploy.Current().WithSampleTriggers().StreamConsumers
	if len(mappings) != len(consumers) {
		t.Fatalf("%d event source mappings, want %d", len(mappings), len(consumers))
	}
	table := s.logicalID(t, "Table")
	for _, f := range s.fns {
		if f.Kind != deploy.Stream {
			continue
		}
		t.Run(f.Name, func(t *testing.T) {
			fn := s.logicalID(t, f.ID()+"/Function")
			queue := s.logicalID(t, f.ID()+"/FailureQueue")
			var m map[string]any
			for _, r := range mappings {
				if refersTo(r.Properties["FunctionName"], fn) {
					m = r.Properties
				}
			}
			if m == nil {
				t.Fatal("no event source mapping")
			}
			c := f.Consumer
			want := map[string]any{
				"StartingPosition":           "TRIM_HORIZON",
				"BatchSize":                  float64(c.Batch()),
				"BisectBatchOnFunctionError": true,
				"MaximumRetryAttempts":       float64(c.Retries()),
				"MaximumRecordAgeInSeconds":  c.RecordAge().Seconds(),
				"FunctionResponseTypes":      []any{"ReportBatchItemFailures"},
				"FilterCriteria":             map[string]any{"Filters": patterns(*c)},
			}
			for k, v := range want {
				if a, b := mustJSON(m[k]), mustJSON(v); a != b {
					t.Errorf("%s = %s, want %s", k, a, b)
				}
			}
			if !refersTo(m["EventSourceArn"], table) || !strings.Contains(mustJSON(m["EventSourceArn"]), "StreamArn") {
				t.Errorf("EventSourceArn %v is not the table's stream", m["EventSourceArn"])
			}
			if !refersTo(m["DestinationConfig"], queue) {
				t.Errorf("on-failure destination %v is not the consumer's queue %s", m["DestinationConfig"], queue)
			}
			// The filter matches what it says: the image's type attribute.
			for _, pattern := range c.Patterns() {
				var p map[string]any
				if err := json.Unmarshal([]byte(pattern), &p); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func TestSchedules(t *testing.T) {
	check := func(t *testing.T, s *synthesized, ctxRate string) {
		t.Helper()
		n := 0
		for _, f := range s.fns {
			if f.Kind != deploy.Schedule {
				continue
			}
			n++
			rate := f.Schedule.Expression()
			if f.Schedule.RateContext == "idleCheckRate" && ctxRate != "" {
				rate = ctxRate
			}
			rule := s.resources[s.logicalID(t, f.ID()+"/Schedule")].Properties
			if rule["ScheduleExpression"] != rate {
				t.Errorf("%s: ScheduleExpression %v, want %s", f.Name, rule["ScheduleExpression"], rate)
			}
			targets, _ := rule["Targets"].([]any)
			if len(targets) != 1 {
				t.Fatalf("%s: %d targets", f.Name, len(targets))
			}
			target := targets[0].(map[string]any)
			if !refersTo(target["Arn"], s.logicalID(t, f.ID()+"/Function")) {
				t.Errorf("%s: target %v is not its function", f.Name, target["Arn"])
			}
			wantRetry := map[string]any{"MaximumRetryAttempts": float64(deploy.ScheduleRetries),
				"MaximumEventAgeInSeconds": deploy.ScheduleMaxEventAge.Seconds()}
			if a, b := mustJSON(target["RetryPolicy"]), mustJSON(wantRetry); a != b {
				t.Errorf("%s: RetryPolicy %s, want %s", f.Name, a, b)
			}
			if !refersTo(target["DeadLetterConfig"], s.logicalID(t, f.ID()+"/FailureQueue")) {
				t.Errorf("%s: DeadLetterConfig %v is not its queue", f.Name, target["DeadLetterConfig"])
			}
		}
		if got := len(s.ofType("AWS::Events::Rule")); got != n {
			t.Errorf("%d rules for %d schedules", got, n)
		}
	}
	t.Run("Default", func(t *testing.T) { check(t, fullStack(t), "") })
	t.Run("FromContext", func(t *testing.T) { check(t, smallStack(t), "rate(7 minutes)") })
}

func TestAlarms(t *testing.T) {
	s := fullStack(t)
	alarms := s.ofType("AWS::CloudWatch::Alarm")
	var queues, api int
	for _, a := range alarms {
		switch a.Properties["MetricName"] {
		case "ApproximateNumberOfMessagesVisible":
			queues++
		case "5xx":
			api++
		}
		if !refersTo(a.Properties["AlarmActions"], s.logicalID(t, "Alarms")) {
			t.Errorf("alarm %v does not notify the alarm topic", a.Properties["AlarmDescription"])
		}
	}
	nonHTTP := 0
	for _, f := range s.fns {
		if f.Kind != deploy.HTTP {
			nonHTTP++
		}
	}
	if queues != nonHTTP || api != 1 || len(alarms) != nonHTTP+1 {
		t.Errorf("alarms: %d on failure queues (want %d), %d on API 5xx (want 1), %d in all", queues, nonHTTP, api, len(alarms))
	}
}

func TestCustomDomain(t *testing.T) {
	t.Run("None", func(t *testing.T) {
		s := fullStack(t)
		s.template.ResourceCountIs(jsii.String("AWS::ApiGatewayV2::DomainName"), jsii.Number(0))
		if _, ok := s.outputs["ApiDomainTarget"]; ok {
			t.Error("ApiDomainTarget output without a domain")
		}
	})
	t.Run("Configured", func(t *testing.T) {
		s := smallStack(t)
		s.template.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::DomainName"), map[string]any{
			"DomainName": "api.example.com",
			"DomainNameConfigurations": []any{assertions.Match_ObjectLike(&map[string]any{
				"CertificateArn": smallContext[stack.CtxCertificateArn], "EndpointType": "REGIONAL", "SecurityPolicy": "TLS_1_2",
			})},
		})
		var mapping map[string]any
		for _, r := range s.ofType("AWS::ApiGatewayV2::ApiMapping") {
			mapping = r.Properties
		}
		if !refersTo(mapping["ApiId"], s.logicalID(t, "Api")) || mapping["Stage"] != "$default" ||
			!refersTo(mapping["DomainName"], s.logicalID(t, "ApiDomain")) {
			t.Errorf("API mapping %v does not map the API's stage to the domain", mapping)
		}
		// The stage is named, not referenced: the mapping must wait for it.
		s.template.HasResource(jsii.String("AWS::ApiGatewayV2::ApiMapping"), map[string]any{
			"DependsOn": assertions.Match_ArrayWith(&[]any{s.logicalID(t, "ApiStage")}),
		})
		for _, o := range []string{"ApiUrl", "ApiDomainTarget", "ApiCustomUrl"} {
			if _, ok := s.outputs[o]; !ok {
				t.Errorf("no output %s", o)
			}
		}
	})
}

func TestIdentity(t *testing.T) {
	t.Run("Cognito", func(t *testing.T) {
		s := fullStack(t)
		s.template.ResourceCountIs(jsii.String("AWS::Cognito::UserPool"), jsii.Number(1))
		s.template.HasResourceProperties(jsii.String("AWS::Cognito::UserPoolClient"), map[string]any{
			"GenerateSecret": false,
		})
		for _, o := range []string{"ApiUrl", "TableName", "UserPoolId", "UserPoolClientId", "OidcIssuer"} {
			if _, ok := s.outputs[o]; !ok {
				t.Errorf("no output %s", o)
			}
		}
		vars := s.resources[s.logicalID(t, "GetMe/Function")].Properties["Environment"].(map[string]any)["Variables"].(map[string]any)
		if !refersTo(vars[deploy.EnvOIDCAudience], s.logicalID(t, "UserPool/AppClient")) {
			t.Errorf("audience %v is not the app client id", vars[deploy.EnvOIDCAudience])
		}
		if iss := mustJSON(vars[deploy.EnvOIDCIssuer]); !strings.Contains(iss, "https://cognito-idp.") ||
			!refersTo(vars[deploy.EnvOIDCIssuer], s.logicalID(t, "UserPool")) {
			t.Errorf("issuer %s is not the user pool's", iss)
		}
	})
	t.Run("ExternalIssuer", func(t *testing.T) {
		s := smallStack(t)
		s.template.ResourceCountIs(jsii.String("AWS::Cognito::UserPool"), jsii.Number(0))
		s.template.HasResourceProperties(jsii.String("AWS::Lambda::Function"), map[string]any{
			"Environment": map[string]any{"Variables": assertions.Match_ObjectLike(&map[string]any{
				deploy.EnvOIDCIssuer:     "https://login.example.com",
				deploy.EnvOIDCAudience:   "orgplane-web",
				deploy.EnvOIDCJWKSURL:    "https://login.example.com/.well-known/jwks.json",
				deploy.EnvAppIdleTimeout: "90m",
			})},
		})
		if _, ok := s.outputs["UserPoolId"]; ok {
			t.Error("UserPoolId output without a user pool")
		}
	})
}

// statement is one IAM policy statement, wherever it appears.
type statement struct {
	where     string // resource logical id
	Effect    string `json:"Effect"`
	Action    any    `json:"Action"`
	Resource  any    `json:"Resource"`
	Principal any    `json:"Principal"`
	Condition any    `json:"Condition"`
}

// leadingKeys are the dynamodb:LeadingKeys a statement is confined to.
func leadingKeys(condition any) []string {
	c, _ := condition.(map[string]any)
	like, _ := c["ForAllValues:StringLike"].(map[string]any)
	return strs(like["dynamodb:LeadingKeys"])
}

func strs(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			} else {
				out = append(out, mustJSON(x))
			}
		}
		return out
	case nil:
		return nil
	}
	return []string{mustJSON(v)}
}

// statements gathers every policy statement of the template: role inline
// policies, AWS::IAM::Policy documents and resource policies.
func (s *synthesized) statements(t *testing.T) []statement {
	t.Helper()
	var out []statement
	add := func(where string, doc any) {
		var d struct {
			Statement []statement `json:"Statement"`
		}
		if err := json.Unmarshal([]byte(mustJSON(doc)), &d); err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		for _, st := range d.Statement {
			st.where = where
			out = append(out, st)
		}
	}
	for id, r := range s.resources {
		switch r.Type {
		case "AWS::IAM::Role":
			add(id, r.Properties["AssumeRolePolicyDocument"])
			for _, p := range r.Properties["Policies"].([]any) {
				add(id, p.(map[string]any)["PolicyDocument"])
			}
		case "AWS::IAM::Policy", "AWS::SQS::QueuePolicy", "AWS::SNS::TopicPolicy":
			add(id, r.Properties["PolicyDocument"])
		}
	}
	return out
}

func TestLeastPrivilege(t *testing.T) {
	s := fullStack(t)
	all := s.statements(t)
	if len(all) == 0 {
		t.Fatal("no policy statements found")
	}
	for _, st := range all {
		if st.Effect != "Allow" {
			continue // e.g. the queues' deny of plain-HTTP access
		}
		actions := strs(st.Action)
		for _, a := range actions {
			if a == "*" || strings.HasSuffix(a, ":*") {
				t.Errorf("%s: allows wildcard action %s", st.where, a)
			}
		}
		for _, r := range strs(st.Resource) {
			// ListStreams has no resource-level permissions, so AWS
			// requires "*" for it; nothing else may have it.
			if r == "*" && (len(actions) != 1 || actions[0] != stack.ListStreamsAction) {
				t.Errorf("%s: allows %v on resource *", st.where, actions)
			}
		}
	}

	for id, r := range s.ofType("AWS::IAM::Role") {
		if arns := r.Properties["ManagedPolicyArns"]; arns != nil {
			t.Errorf("role %s has managed policies %v", id, arns)
		}
	}
	// Every function permission is in its role's inline policy, none in a
	// separate (CDK default) policy that grants could grow unseen.
	if n := len(s.ofType("AWS::IAM::Policy")); n != 0 {
		t.Errorf("%d AWS::IAM::Policy resources, want none", n)
	}

	for _, f := range s.fns {
		t.Run(f.Name, func(t *testing.T) {
			role := s.logicalID(t, f.ID()+"/Role")
			fn := s.resources[s.logicalID(t, f.ID()+"/Function")]
			if !refersTo(fn.Properties["Role"], role) {
				t.Fatalf("function role %v is not %s", fn.Properties["Role"], role)
			}
			var actions []string
			for _, st := range all {
				if st.where == role && st.Effect == "Allow" && st.Principal == nil {
					actions = append(actions, strs(st.Action)...)
				}
			}
			want := append([]string{"logs:CreateLogStream", "logs:PutLogEvents"}, stack.ReadActions...)
			want = append(want, stack.IndexActions...)
			if f.Writes {
				want = append(want, stack.WriteActions...)
			} else if f.Kind == deploy.HTTP {
				want = append(want, stack.KeyUseActions...)
			}
			if f.Kind == deploy.Stream {
				want = append(want, stack.StreamActions...)
				want = append(want, stack.ListStreamsAction)
				want = append(want, stack.FailureQueueActions...)
			}
			if f.SendsEmail {
				want = append(want, stack.SESActions...)
			}
			switch f.Exports {
			case deploy.ReadExports:
				want = append(want, stack.ExportReadActions...)
			case deploy.WriteExports:
				want = append(want, stack.ExportWriteActions...)
			}
			slices.Sort(want)
			want = slices.Compact(want)
			slices.Sort(actions)
			actions = slices.Compact(actions)
			if !slices.Equal(actions, want) {
				t.Errorf("actions\n got %v\nwant %v", actions, want)
			}
			// A consumer confined to its partitions writes nowhere else.
			var confined []string
			if f.Kind == deploy.Stream {
				confined = f.Consumer.Partitions()
			}
			for _, st := range all {
				if st.where == role && st.Effect == "Allow" && slices.Contains(strs(st.Action), "dynamodb:PutItem") {
					if got := leadingKeys(st.Condition); !slices.Equal(got, confined) {
						t.Errorf("writes confined to %v, want %v", got, confined)
					}
				}
			}
		})
	}
}

// TestSynthesizedTemplateLints runs cfn-lint once on every template of
// both syntheses: the stacks and their nested stacks.
func TestSynthesizedTemplateLints(t *testing.T) {
	cfnlint.Check(t, append(slices.Clone(fullStack(t).files), smallStack(t).files...)...)
}

// CloudFormation's limits per template that a growing route list meets.
// Templates of nested stacks (and of any stack CDK deploys) are uploaded
// to S3, so the 1 MB template body limit applies, not the 51,200 bytes of
// a body passed directly in the API call.
const (
	maxResources         = 500
	resourceBudget       = 400 // the test's margin below maxResources
	maxTemplateBytes     = 1 << 20
	maxDynamicReferences = 60
)

// TestResourceBudget synthesizes the stack with 150 generated routes (and
// the real and sample triggers) and keeps every template clear of
// CloudFormation's limits: under 400 resources, under 1 MB, at most 60
// dynamic references. It logs the count and size of each template, for
// the real lists too.
func TestResourceBudget(t *testing.T) {
	check := func(t *testing.T, s *synthesized) {
		for _, file := range s.files {
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			refs := strings.Count(string(b), "{{resolve:")
			t.Logf("%-60s %4d resources %7d bytes %3d dynamic references", filepath.Base(file), s.counts[file], len(b), refs)
			if s.counts[file] >= resourceBudget {
				t.Errorf("%s: %d resources, want under %d (CloudFormation allows %d)", file, s.counts[file], resourceBudget, maxResources)
			}
			if len(b) >= maxTemplateBytes {
				t.Errorf("%s: %d bytes, over CloudFormation's %d for a template in S3", file, len(b), maxTemplateBytes)
			}
			if refs > maxDynamicReferences {
				t.Errorf("%s: %d dynamic references, CloudFormation allows %d", file, refs, maxDynamicReferences)
			}
		}
	}
	t.Run("Current", func(t *testing.T) { check(t, fullStack(t)) })
	t.Run("150Routes", func(t *testing.T) {
		lists := deploy.Current().WithSampleTriggers()
		lists.Routes = generatedRoutes(150)
		s, err := synth(lists, fullContext)
		if err != nil {
			t.Fatal(err)
		}
		if got := len(s.ofType("AWS::Lambda::Function")); got != len(s.fns) {
			t.Fatalf("%d functions, want %d", got, len(s.fns))
		}
		check(t, s)
		cfnlint.Check(t, s.files...)
	})
}

// generatedRoutes is n routes in 12 areas of uneven size, half of them
// writing, shaped like the real ones.
func generatedRoutes(n int) []api.Route {
	base := api.Routes[0]
	var routes []api.Route
	for i := range n {
		area := fmt.Sprintf("area%d", i%12)
		if i%12 == 0 {
			area = "big"
		}
		r := base
		r.Name = fmt.Sprintf("generated-%s-route-%d", area, i)
		r.Method = []string{"GET", "POST", "PATCH", "DELETE"}[i%4]
		r.Path = fmt.Sprintf("/organizations/{org}/%s/{item}/op%d", area, i)
		r.Writes = i%2 == 1
		routes = append(routes, r)
	}
	return routes
}

func TestReadConfig(t *testing.T) {
	mail := deploy.Lists{StreamConsumers: []triggers.StreamConsumer{{Name: "mailer", SendsEmail: true,
		Filter: triggers.Filter{EventNames: []string{"INSERT"}, ItemTypes: []string{"invitation"}}}}}
	sched := deploy.Lists{Schedules: []triggers.Schedule{{Name: "job", RateContext: "jobRate"}}}
	for _, tc := range []struct {
		name    string
		lists   deploy.Lists
		ctx     map[string]any
		wantErr string
	}{
		{"OK", deploy.Lists{}, map[string]any{}, ""},
		{"OKExternalIssuer", deploy.Lists{}, map[string]any{stack.CtxOIDCIssuer: "https://id.example.com", stack.CtxOIDCAudience: "x"}, ""},
		{"ErrIssuerWithoutAudience", deploy.Lists{}, map[string]any{stack.CtxOIDCIssuer: "https://id.example.com"}, stack.CtxOIDCAudience},
		{"ErrIssuerNotHTTPS", deploy.Lists{}, map[string]any{stack.CtxOIDCIssuer: "http://id.example.com", stack.CtxOIDCAudience: "x"}, "https"},
		{"ErrAudienceWithoutIssuer", deploy.Lists{}, map[string]any{stack.CtxOIDCAudience: "x"}, stack.CtxOIDCIssuer},
		{"ErrMailWithoutSender", mail, map[string]any{}, stack.CtxSESSender},
		{"OKMail", mail, map[string]any{stack.CtxSESSender: "a@example.com"}, ""},
		{"ErrRate", sched, map[string]any{"jobRate": "soon"}, "jobRate"},
		{"ErrRateSeconds", sched, map[string]any{"jobRate": "90s"}, "whole minutes"},
		{"OKRateMinutes", sched, map[string]any{"jobRate": "20"}, ""},
		{"ErrRetention", deploy.Lists{}, map[string]any{stack.CtxLogRetentionDays: "10"}, stack.CtxLogRetentionDays},
		{"ErrStage", deploy.Lists{}, map[string]any{stack.CtxStage: "Prod!"}, stack.CtxStage},
		{"ErrIdleTimeout", deploy.Lists{}, map[string]any{stack.CtxAppIdleTimeout: "12"}, stack.CtxAppIdleTimeout},
		{"ErrDomainWithoutCertificate", deploy.Lists{}, map[string]any{stack.CtxDomainName: "api.example.com"}, stack.CtxCertificateArn},
		{"ErrDomainName", deploy.Lists{}, map[string]any{stack.CtxDomainName: "https://api", stack.CtxCertificateArn: "arn:aws:acm:x"}, stack.CtxDomainName},
		{"ErrCertificateArn", deploy.Lists{}, map[string]any{stack.CtxDomainName: "api.example.com", stack.CtxCertificateArn: "cert"}, stack.CtxCertificateArn},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := maps.Clone(tc.ctx)
			app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx})
			_, err := stack.ReadConfig(app.Node(), tc.lists)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("err = %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("err = %v, want one naming %q", err, tc.wantErr)
			}
		})
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// TestSynthIsDeterministic: the same commit synthesizes the same templates
// byte for byte (names and contents), so a `cdk diff` after deploying a
// commit shows nothing to change until the code does.
func TestSynthIsDeterministic(t *testing.T) {
	first := fullStack(t)
	again, err := synth(deploy.Current().WithSampleTriggers(), fullContext)
	if err != nil {
		t.Fatal(err)
	}
	read := func(files []string) map[string]string {
		out := map[string]string{}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			out[filepath.Base(f)] = string(b)
		}
		return out
	}
	a, b := read(first.files), read(again.files)
	if len(a) != len(b) || len(a) < 2 {
		t.Fatalf("%d templates, then %d", len(a), len(b))
	}
	for name, body := range a {
		if b[name] != body {
			t.Errorf("template %s differs between two syntheses of the same commit", name)
		}
	}
}

// patterns are a consumer's filters as FilterCriteria.Filters holds them.
func patterns(c triggers.StreamConsumer) []any {
	var out []any
	for _, p := range c.Patterns() {
		out = append(out, map[string]any{"Pattern": p})
	}
	return out
}

// TestExportBucket: the export bucket is private, encrypted, TLS-only and
// empties itself after the exports' retention; functions reach only its
// exports/ prefix.
func TestExportBucket(t *testing.T) {
	s := fullStack(t)
	// Two buckets: the exports' and the web console's (TestConsole).
	if buckets := s.ofType("AWS::S3::Bucket"); len(buckets) != 2 {
		t.Fatalf("%d buckets, want the export bucket and the console's", len(buckets))
	}
	id := s.logicalID(t, "ExportBucket")
	b := s.resources[id]
	j, _ := json.Marshal(b.Properties)
	got := string(j)
	for _, want := range []string{
		`"SSEAlgorithm":"AES256"`,
		`"BlockPublicAcls":true`, `"BlockPublicPolicy":true`, `"IgnorePublicAcls":true`, `"RestrictPublicBuckets":true`,
		`"ObjectOwnership":"BucketOwnerEnforced"`,
		`"ExpirationInDays":7`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("bucket properties lack %s: %s", want, got)
		}
	}
	secure := false
	for _, p := range s.ofType("AWS::S3::BucketPolicy") {
		pj, _ := json.Marshal(p.Properties)
		secure = secure || (strings.Contains(string(pj), `"aws:SecureTransport":"false"`) && strings.Contains(string(pj), id))
	}
	if !secure {
		t.Error("no bucket policy denies requests without TLS")
	}
	n := 0
	for _, st := range s.statements(t) {
		for _, a := range strs(st.Action) {
			if strings.HasPrefix(a, "s3:") {
				n++
				if r, _ := json.Marshal(st.Resource); !strings.Contains(string(r), "/exports/*") {
					t.Errorf("%s: %s on %s, want only the exports/ prefix", st.where, a, r)
				}
			}
		}
	}
	if n == 0 {
		t.Error("no function may touch the export bucket")
	}
}
