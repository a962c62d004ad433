package stack_test

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/orgplane/orgplane/infra/deploy"
	"github.com/orgplane/orgplane/infra/local/lambdamode"
	"github.com/orgplane/orgplane/infra/sam"
)

// TestStackSAMAndLambdaModeAgree: for every function of the lists, what
// the CDK stack deploys, what template.yaml (sam.Document, which
// infra/gen's tests hold byte-equal to the committed file) declares, and
// what Lambda mode runs agree: the environment (AWS's; SAM and Lambda mode
// add the local endpoints), runtime, handler, architecture (Lambda mode
// builds for the host instead), memory, timeout, and what invokes it.
func TestStackSAMAndLambdaModeAgree(t *testing.T) {
	s := fullStack(t)
	fns := deploy.Current().MustAll()
	doc := sam.Document(fns)
	globals, _ := doc.Get("Globals", "Function").(sam.Mapping)
	globalEnv, _ := globals.Get("Environment", "Variables").(sam.Mapping)
	if got := fmt.Sprintf("%v %v %v", globals.Get("Handler"), globals.Get("Runtime"), globals.Get("Architectures")); got != "bootstrap provided.al2023 [arm64]" {
		t.Errorf("SAM globals: handler, runtime, architectures = %s", got)
	}
	values := map[string]string{}
	for _, k := range append(append(deploy.CommonEnv, deploy.EnvMailFrom), fns[0].LocalEnv()...) {
		values[k] = "x"
	}
	values[deploy.EnvSMTPAddr] = "x"
	values[deploy.EnvExportBucket], values[deploy.EnvS3Endpoint] = "x", "x"
	routes := map[string]string{}
	for _, r := range lambdamode.Routes(fns) {
		routes[r.Function] = r.Method + " " + r.Path
	}

	for _, f := range fns {
		t.Run(f.Name, func(t *testing.T) {
			aws := sorted(f.Env())
			local := sorted(append(f.Env(), f.LocalEnv()...))

			cdk := s.resources[s.logicalID(t, f.ID()+"/Function")].Properties
			cdkEnv, _ := cdk["Environment"].(map[string]any)["Variables"].(map[string]any)
			if got := sorted(slices.Collect(maps.Keys(cdkEnv))); !slices.Equal(got, aws) {
				t.Errorf("CDK env %v, want %v", got, aws)
			}
			if got := fmt.Sprintf("%v %v %v %v %v", cdk["Handler"], cdk["Runtime"], cdk["Architectures"], cdk["MemorySize"], cdk["Timeout"]); got !=
				fmt.Sprintf("bootstrap provided.al2023 [arm64] %d %d", f.MemoryMB, f.TimeoutSeconds) {
				t.Errorf("CDK handler, runtime, architectures, memory, timeout = %s", got)
			}

			fn, _ := doc.Get("Resources", f.SAMLogicalID(), "Properties").(sam.Mapping)
			if fn == nil {
				t.Fatalf("template.yaml has no %s", f.SAMLogicalID())
			}
			samEnv := globalEnv.Keys()
			if own, ok := fn.Get("Environment", "Variables").(sam.Mapping); ok {
				samEnv = append(samEnv, own.Keys()...)
			}
			if got := sorted(samEnv); !slices.Equal(got, local) {
				t.Errorf("SAM env %v, want %v", got, local)
			}
			if got := fmt.Sprintf("%v %v", fn.Get("MemorySize"), fn.Get("Timeout")); got != fmt.Sprintf("%d %d", f.MemoryMB, f.TimeoutSeconds) {
				t.Errorf("SAM memory, timeout = %s", got)
			}

			env, err := lambdamode.Env(f, values)
			if err != nil {
				t.Fatal(err)
			}
			var lambdaEnv []string
			for _, kv := range env {
				if !slices.Contains(lambdamode.RuntimeEnv, kv) {
					lambdaEnv = append(lambdaEnv, strings.SplitN(kv, "=", 2)[0])
				}
			}
			if got := sorted(lambdaEnv); !slices.Equal(got, local) {
				t.Errorf("Lambda mode env %v, want %v", got, local)
			}
			if !slices.Contains(env, "_HANDLER=bootstrap") {
				t.Error("Lambda mode does not run the bootstrap handler")
			}

			events, _ := fn.Get("Events").(sam.Mapping)
			switch f.Kind {
			case deploy.HTTP:
				key := fmt.Sprint(events.Get("Api", "Properties", "Method"), " ", events.Get("Api", "Properties", "Path"))
				if key != f.Route.RouteKey() || routes[f.Name] != key {
					t.Errorf("route key: SAM %q, Lambda mode %q, want %q", key, routes[f.Name], f.Route.RouteKey())
				}
			case deploy.Stream:
				p := events.Get("Stream", "Properties").(sam.Mapping)
				var mapping map[string]any
				for _, r := range s.ofType("AWS::Lambda::EventSourceMapping") {
					if refersTo(r.Properties["FunctionName"], s.logicalID(t, f.ID()+"/Function")) {
						mapping = r.Properties
					}
				}
				want := fmt.Sprintf("%v %v %v", f.Consumer.Patterns(), f.Consumer.Batch(), f.Consumer.Retries())
				var samPatterns, cdkPatterns []any
				for _, flt := range p.Get("FilterCriteria", "Filters").(sam.List) {
					samPatterns = append(samPatterns, flt.(sam.Mapping).Get("Pattern"))
				}
				for _, flt := range mapping["FilterCriteria"].(map[string]any)["Filters"].([]any) {
					cdkPatterns = append(cdkPatterns, flt.(map[string]any)["Pattern"])
				}
				sam := fmt.Sprintf("%v %v %v", samPatterns, p.Get("BatchSize"), p.Get("MaximumRetryAttempts"))
				cdk := fmt.Sprintf("%v %v %v", cdkPatterns, mapping["BatchSize"], mapping["MaximumRetryAttempts"])
				if sam != want || cdk != want {
					t.Errorf("filter, batch, retries: SAM %s, CDK %s, want %s", sam, cdk, want)
				}
			case deploy.Schedule:
				rule := s.resources[s.logicalID(t, f.ID()+"/Schedule")].Properties
				sam := events.Get("Schedule", "Properties", "ScheduleExpression")
				if sam != f.Schedule.Expression() || rule["ScheduleExpression"] != sam {
					t.Errorf("schedule: SAM %v, CDK %v, want %s", sam, rule["ScheduleExpression"], f.Schedule.Expression())
				}
			}
		})
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return slices.Compact(s)
}
