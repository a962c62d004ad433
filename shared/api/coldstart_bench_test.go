package api_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orgplane/orgplane/shared/ddbtest"
)

// BenchmarkColdStart execs three real function binaries and a hello-world
// (built alike: this host, lambda.norpc, stripped) against a fake Lambda
// Runtime API, interleaved, and measures per cold start:
//
//	init   exec → the runtime's first GET …/invocation/next
//	first  exec → the first invocation's response (for the HTTP
//	       functions a real 200: token verification with the JWKS
//	       fetched from a local server, admission, DynamoDB Local)
func BenchmarkColdStart(b *testing.B) {
	be := newBenchEnv(b)
	dir := b.TempDir()
	// name → binary; a name ending in "/warm" is its binary with
	// ORGPLANE_WARMUP=1 (DynamoDB connection and JWKS fetched in the
	// background at init), the choice this benchmark keeps measuring.
	bins := []string{"get-organization", "get-organization/warm", "list-projects", "create-wallet", "create-wallet/warm", "hello"}
	args := []string{"build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", dir + string(filepath.Separator)}
	for _, n := range []string{"get-organization", "list-projects", "create-wallet"} {
		args = append(args, "../../functions/"+n)
	}
	args = append(args, "./testdata/hello")
	cmd := exec.Command("go", args...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}

	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(be.issuer.JWKS())
	}))
	b.Cleanup(jwks.Close)
	rt := &fakeRuntime{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: rt}
	go func() { _ = srv.Serve(ln) }()
	b.Cleanup(func() { _ = srv.Close() })

	env := append(os.Environ(), "AWS_LAMBDA_RUNTIME_API="+ln.Addr().String(), "AWS_REGION=us-east-1",
		"TABLE_NAME="+be.store.Table, "DYNAMODB_ENDPOINT="+ddbtest.Endpoint(b), "OIDC_ISSUER="+testIssuer,
		"OIDC_JWKS_URL="+jwks.URL, "OIDC_AUDIENCE="+testAudience, "CURSOR_SECRET="+strings.Repeat("c", 32),
		"INVITE_TOKEN_SECRET="+string(testInviteSecret))
	token := be.token(b, be.f.owner)
	events := map[string]string{
		"get-organization":      httpEvent("/organizations/"+be.f.org, token),
		"get-organization/warm": httpEvent("/organizations/"+be.f.org, token),
		"create-wallet/warm":    `{"Records":[]}`,
		"list-projects":         httpEvent("/organizations/"+be.f.org+"/projects", token),
		"create-wallet":         `{"Records":[]}`,
		"hello":                 `{}`,
	}
	initT := map[string]samples{}
	firstT := map[string]samples{}
	i := 0
	for b.Loop() {
		for j := range bins {
			n := bins[(i+j)%len(bins)]
			ready, done := rt.arm(events[n])
			bin, warm := strings.CutSuffix(n, "/warm")
			p := exec.Command(filepath.Join(dir, bin))
			p.Env = env
			if warm {
				p.Env = append(env[:len(env):len(env)], "ORGPLANE_WARMUP=1")
			}
			t0 := time.Now()
			if err := p.Start(); err != nil {
				b.Fatal(err)
			}
			var tInit, tDone time.Time
			select {
			case tInit = <-ready:
			case <-time.After(30 * time.Second):
				b.Fatalf("%s: no call to the runtime API", n)
			}
			var body string
			select {
			case r := <-done:
				tDone, body = r.at, r.body
			case <-time.After(30 * time.Second):
				b.Fatalf("%s: no response", n)
			}
			_ = p.Process.Kill()
			_ = p.Wait()
			if strings.HasPrefix(events[n], `{"version"`) && !strings.Contains(body, `"statusCode":200`) {
				b.Fatalf("%s answered %s", n, body)
			}
			initT[n] = append(initT[n], tInit.Sub(t0))
			firstT[n] = append(firstT[n], tDone.Sub(t0))
		}
		i++
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "\nCold start (exec → runtime API; %d launches each, interleaved; p50, ms; sizes stripped for this host)\n", len(firstT["hello"]))
	fmt.Fprintf(&sb, "%-24s %8s %8s %10s %10s %9s\n", "binary", "init", "first", "init−hello", "first−hello", "size MB")
	hi, hf := initT["hello"].pct(.5), firstT["hello"].pct(.5)
	for _, n := range bins {
		bin, _ := strings.CutSuffix(n, "/warm")
		fi, _ := os.Stat(filepath.Join(dir, bin))
		in, f := initT[n].pct(.5), firstT[n].pct(.5)
		fmt.Fprintf(&sb, "%-24s %8.2f %8.2f %+10.2f %+10.2f %9.2f\n", n, ms(in), ms(f), ms(in-hi), ms(f-hf), float64(fi.Size())/1e6)
		if n != "hello" {
			unit := strings.ReplaceAll(n, "/", "-")
			b.ReportMetric(ms(in-hi), unit+"-init-over-hello-ms")
			b.ReportMetric(ms(f-hf), unit+"-first-over-hello-ms")
		}
	}
	fmt.Fprint(os.Stdout, sb.String())
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// httpEvent is an API Gateway HTTP API (v2) event for a GET of path.
func httpEvent(path, token string) string {
	ev := map[string]any{"version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "",
		"headers": map[string]string{"authorization": "Bearer " + token, "host": "localhost"},
		"requestContext": map[string]any{"http": map[string]string{"method": "GET", "path": path, "protocol": "HTTP/1.1",
			"sourceIp": "127.0.0.1", "userAgent": "bench"}, "requestId": "r", "stage": "$default", "domainName": "localhost"},
		"isBase64Encoded": false}
	raw, _ := json.Marshal(ev)
	return string(raw)
}

// fakeRuntime is the Lambda Runtime API, enough for one invocation per
// process: it hands out the armed event and takes the response.
type fakeRuntime struct {
	mu    sync.Mutex
	event string
	ready chan time.Time
	done  chan runtimeResponse
	n     int
}

type runtimeResponse struct {
	at   time.Time
	body string
}

func (f *fakeRuntime) arm(event string) (<-chan time.Time, <-chan runtimeResponse) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	f.event, f.ready, f.done = event, make(chan time.Time, 1), make(chan runtimeResponse, 1)
	return f.ready, f.done
}

func (f *fakeRuntime) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	f.mu.Lock()
	event, ready, done, id := f.event, f.ready, f.done, fmt.Sprintf("req-%d", f.n)
	f.mu.Unlock()
	switch {
	case strings.HasSuffix(r.URL.Path, "/invocation/next"):
		select {
		case ready <- now:
		default: // the next poll after the response: hold it until the process is killed
			<-r.Context().Done()
			return
		}
		w.Header().Set("Lambda-Runtime-Aws-Request-Id", id)
		w.Header().Set("Lambda-Runtime-Deadline-Ms", fmt.Sprint(time.Now().Add(time.Minute).UnixMilli()))
		w.Header().Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:000000000000:function:bench")
		_, _ = io.WriteString(w, event)
	case strings.HasSuffix(r.URL.Path, "/response"), strings.HasSuffix(r.URL.Path, "/error"):
		body, _ := io.ReadAll(r.Body)
		w.WriteHeader(http.StatusAccepted)
		done <- runtimeResponse{at: now, body: string(body)}
	default:
		w.WriteHeader(http.StatusAccepted)
	}
}
