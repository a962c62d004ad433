package api_test

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgplane/orgplane/shared/api"
	"github.com/orgplane/orgplane/shared/app/web"
	"github.com/orgplane/orgplane/shared/ddblocal"
	"github.com/orgplane/orgplane/shared/ddbtest"
)

// The read benchmarks serve every GET route through the whole stack (HTTP,
// token verification, admission, handler, DynamoDB Local) and, interleaved
// with it in the same loop, three yardsticks over the same table:
//
//	replay   the route's own DynamoDB calls, recorded from one request and
//	         sent raw with the SDK, in the same rounds (calls the route sent
//	         together are sent together)
//	min      the physical minimum: every item the route read in ONE
//	         consistent BatchGetItem, sent together with its Queries
//	getitem  one raw consistent GetItem
//
// Each sub-benchmark reports its percentiles and ratios as metrics
// (benchstat reads them); BenchmarkReads then prints the whole table.

// benchEnv is an env whose store's calls are also recorded, and a raw
// client over the same table for the yardsticks.
type benchEnv struct {
	*env
	rec *recorder
	raw *dynamodb.Client
	f   readFixture
	hc  *http.Client
}

func newBenchEnv(b *testing.B) *benchEnv {
	tokenCacheSize = web.TokenCacheSize // verify as the functions do
	e, rec := newRecordingEnv(b)
	tokenCacheSize = 0
	raw, err := ddblocal.NewClient(context.Background(), ddbtest.Endpoint(b))
	if err != nil {
		b.Fatal(err)
	}
	f := newReadFixture(b, e, "owner@bench.test")
	e.spec = nil // benchmarks measure the API, not the validator
	hc := &http.Client{Transport: &http.Transport{MaxIdleConns: 64, MaxIdleConnsPerHost: 64}}
	return &benchEnv{env: e, rec: rec, raw: raw, f: f, hc: hc}
}

// get sends one GET as the fixture's owner (or with the key when byKey).
func (be *benchEnv) get(tb testing.TB, path string, byKey bool) {
	req, err := http.NewRequest(http.MethodGet, be.srv.URL+path, nil)
	if err != nil {
		tb.Fatal(err)
	}
	if byKey {
		req.Header.Set("Authorization", "Bearer "+be.f.secret)
	} else {
		req.Header.Set("Authorization", "Bearer "+be.token(tb, be.f.owner))
	}
	res, err := be.hc.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		tb.Fatalf("GET %s → %d", path, res.StatusCode)
	}
}

// plan is what one request of a route did, and its yardsticks.
type plan struct {
	calls    []recordedCall
	replay   [][]any // the recorded inputs, by round
	minimum  []any   // one BatchGetItem of every item read, and the Queries
	getItem  *dynamodb.GetItemInput
	rru, wru float64
}

// record serves path once with the recorder on and derives the yardsticks.
// Calls the route sends together (together: see readCosts) are held until
// both have started, so the replay sends them together too.
func (be *benchEnv) record(b *testing.B, path string, byKey, together bool, fallback map[string]types.AttributeValue) plan {
	be.get(b, path, byKey) // warm: first use of a key, hourly login touch
	if together {
		be.rec.startPaired()
	} else {
		be.rec.start()
	}
	be.get(b, path, byKey)
	p := plan{calls: be.rec.stop()}
	var keys []map[string]types.AttributeValue
	seen := map[string]bool{}
	addKey := func(k map[string]types.AttributeValue) {
		id := fmt.Sprint(k["PK"], k["SK"])
		if !seen[id] {
			seen[id] = true
			keys = append(keys, k)
		}
	}
	for _, r := range rounds(p.calls) {
		var ins []any
		for _, c := range r {
			ins = append(ins, c.in)
			switch v := c.in.(type) {
			case *dynamodb.GetItemInput:
				addKey(v.Key)
			case *dynamodb.BatchGetItemInput:
				for _, ka := range v.RequestItems {
					for _, k := range ka.Keys {
						addKey(k)
					}
				}
			case *dynamodb.QueryInput:
				p.minimum = append(p.minimum, v)
			}
		}
		p.replay = append(p.replay, ins)
	}
	if len(keys) > 0 {
		p.minimum = append(p.minimum, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
			*tableOf(p.calls): {Keys: keys, ConsistentRead: aws.Bool(true)}}})
		fallback = keys[0]
	}
	p.getItem = &dynamodb.GetItemInput{TableName: aws.String(be.store.Table), Key: fallback, ConsistentRead: aws.Bool(true)}
	p.rru, p.wru = be.capacity(b, p.calls)
	return p
}

func tableOf(calls []recordedCall) *string {
	for _, c := range calls {
		switch v := c.in.(type) {
		case *dynamodb.GetItemInput:
			return v.TableName
		case *dynamodb.QueryInput:
			return v.TableName
		case *dynamodb.BatchGetItemInput:
			for t := range v.RequestItems {
				return aws.String(t)
			}
		}
	}
	return nil
}

// capacity replays each read once asking DynamoDB for the capacity it
// consumed (DynamoDB Local computes it from the item sizes as DynamoDB
// does: 4 KB per read unit, half for an eventually consistent read). A
// write counts one unit per call (every item written on a read route is
// under 1 KB: a login stamp, a rate-limit counter).
func (be *benchEnv) capacity(b *testing.B, calls []recordedCall) (rru, wru float64) {
	ctx := context.Background()
	total := types.ReturnConsumedCapacityTotal
	for _, c := range calls {
		switch v := c.in.(type) {
		case *dynamodb.GetItemInput:
			in := *v
			in.ReturnConsumedCapacity = total
			out, err := be.raw.GetItem(ctx, &in)
			if err != nil {
				b.Fatal(err)
			}
			rru += units(out.ConsumedCapacity)
		case *dynamodb.BatchGetItemInput:
			in := *v
			in.ReturnConsumedCapacity = total
			out, err := be.raw.BatchGetItem(ctx, &in)
			if err != nil {
				b.Fatal(err)
			}
			for i := range out.ConsumedCapacity {
				rru += units(&out.ConsumedCapacity[i])
			}
		case *dynamodb.QueryInput:
			in := *v
			in.ReturnConsumedCapacity = total
			out, err := be.raw.Query(ctx, &in)
			if err != nil {
				b.Fatal(err)
			}
			rru += units(out.ConsumedCapacity)
		default:
			wru++
		}
	}
	return rru, wru
}

func units(c *types.ConsumedCapacity) float64 {
	if c == nil || c.CapacityUnits == nil {
		return 0
	}
	return *c.CapacityUnits
}

// samples are durations of one variant.
type samples []time.Duration

func (s samples) pct(p float64) time.Duration {
	if len(s) == 0 {
		return 0
	}
	c := slices.Clone(s)
	slices.Sort(c)
	return c[min(len(c)-1, int(math.Ceil(p*float64(len(c))))-1)]
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// readRow is one line of the printed table.
type readRow struct {
	name                              string
	calls, rounds                     int
	api50, api99, rep50, min50, get50 time.Duration
	rru, wru                          float64
}

var (
	readRowsMu sync.Mutex
	readRows   = map[string]readRow{}
)

// benchRoute measures one route against its yardsticks, interleaved.
func benchRoute(b *testing.B, be *benchEnv, name, path string, byKey bool, fallback map[string]types.AttributeValue) {
	route, _ := strings.CutSuffix(name, " (API key)")
	cost := readCosts[route].jwt
	if byKey {
		cost = readCosts[route].byKey
	}
	p := be.record(b, path, byKey, cost.rounds < cost.calls, fallback)
	ctx := context.Background()
	variants := []func() error{
		func() error { be.get(b, path, byKey); return nil },
		func() error { return replayRounds(ctx, be.raw, p.replay) },
		func() error { return replayRounds(ctx, be.raw, [][]any{p.minimum}) },
		func() error { _, err := be.raw.GetItem(ctx, p.getItem); return err },
	}
	got := make([]samples, len(variants))
	i := 0
	for b.Loop() {
		// Rotate the order so no variant always follows the same one.
		for j := range variants {
			v := (i + j) % len(variants)
			t0 := time.Now()
			if err := variants[v](); err != nil {
				b.Fatal(err)
			}
			got[v] = append(got[v], time.Since(t0))
		}
		i++
	}
	row := readRow{name: name, calls: len(p.calls), rounds: len(p.replay),
		api50: got[0].pct(.5), api99: got[0].pct(.99), rep50: got[1].pct(.5), min50: got[2].pct(.5), get50: got[3].pct(.5),
		rru: p.rru, wru: p.wru}
	b.ReportMetric(us(row.api50), "api-p50-µs")
	b.ReportMetric(us(row.api99), "api-p99-µs")
	b.ReportMetric(us(row.rep50), "replay-p50-µs")
	b.ReportMetric(us(row.min50), "min-p50-µs")
	b.ReportMetric(us(row.get50), "getitem-p50-µs")
	b.ReportMetric(ratio(row.api50, row.min50), "x-min")
	b.ReportMetric(us(row.api50-row.rep50), "overhead-µs")
	b.ReportMetric(float64(row.calls), "ddb-calls/op")
	readRowsMu.Lock()
	readRows[name] = row
	readRowsMu.Unlock()
}

func ratio(a, b time.Duration) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// BenchmarkReads: every GET route, as the owner (JWT) and, for a few, with
// an API key, each beside its yardsticks; then the table.
func BenchmarkReads(b *testing.B) {
	be := newBenchEnv(b)
	getOrg, _ := api.Find("get-organization")
	// Routes that read nothing compare with a GetItem of an item the
	// org read holds.
	orgKey := be.record(b, be.f.path(getOrg), false, false, nil).getItem.Key
	for _, rt := range readRoutes() {
		b.Run(rt.Name, func(b *testing.B) { benchRoute(b, be, rt.Name, be.f.path(rt), false, orgKey) })
	}
	for _, name := range []string{"get-organization", "get-project", "list-projects"} {
		rt, _ := api.Find(name)
		b.Run(name+"-key", func(b *testing.B) { benchRoute(b, be, name+" (API key)", be.f.path(rt), true, orgKey) })
	}
	printReadTable(os.Stdout)
}

func printReadTable(w io.Writer) {
	readRowsMu.Lock()
	defer readRowsMu.Unlock()
	names := make([]string, 0, len(readRows))
	for n := range readRows {
		names = append(names, n)
	}
	sort.Strings(names)
	var sb strings.Builder
	fmt.Fprintf(&sb, "\nRead routes (µs; p50 unless marked; replay = the route's own calls sent raw; min = one BatchGetItem of the same items + its Queries; getitem = one raw GetItem)\n")
	fmt.Fprintf(&sb, "%-34s %5s %6s %8s %8s %8s %8s %8s %7s %7s %9s %5s %5s %8s\n",
		"route", "calls", "rounds", "api", "api p99", "replay", "min", "getitem", "÷min", "÷get", "overhead", "RRU", "WRU", "$/M req")
	for _, n := range names {
		r := readRows[n]
		if r.calls == 0 {
			fmt.Fprintf(&sb, "%-34s %5d %6d %8.0f %8.0f %8s %8s %8.0f %7s %6.2f× %9.0f %5.1f %5.1f %8.3f\n",
				r.name, 0, 0, us(r.api50), us(r.api99), "-", "-", us(r.get50), "-", ratio(r.api50, r.get50), us(r.api50), 0.0, 0.0, dollarsPerMillion(r))
			continue
		}
		fmt.Fprintf(&sb, "%-34s %5d %6d %8.0f %8.0f %8.0f %8.0f %8.0f %6.2f× %6.2f× %9.0f %5.1f %5.1f %8.3f\n",
			r.name, r.calls, r.rounds, us(r.api50), us(r.api99), us(r.rep50), us(r.min50), us(r.get50),
			ratio(r.api50, r.min50), ratio(r.api50, r.get50), us(r.api50-r.rep50), r.rru, r.wru, dollarsPerMillion(r))
	}
	fmt.Fprintf(&sb, "$/M req: list prices (us-east-1): API Gateway HTTP API $1.00/M; Lambda arm64 $0.20/M + $0.0000133334/GB-s at %d MB, "+
		"billed for the local p50 rounded up to 1 ms; DynamoDB on demand $0.125/M read units, $0.625/M write units.\n", api.DefaultMemoryMB)
	fmt.Fprint(w, sb.String())
}

func dollarsPerMillion(r readRow) float64 {
	ms := math.Ceil(float64(r.api50) / float64(time.Millisecond))
	gbs := ms / 1000 * float64(api.DefaultMemoryMB) / 1024
	return 1.00 + 0.20 + gbs*0.0000133334*1e6 + r.rru*0.125 + r.wru*0.625
}

// BenchmarkThroughput: 16 clients send GET …/projects/{project} as fast
// as they can, alternating (in slices of 2 s, the same number of slices
// each, three of each) with 16 clients replaying the route's own DynamoDB calls raw; it
// reports both rates and their ratio.
func BenchmarkThroughput(b *testing.B) {
	const clients = 16
	be := newBenchEnv(b)
	rt, _ := api.Find("get-project")
	path := be.f.path(rt)
	p := be.record(b, path, false, false, nil)
	ctx := context.Background()
	run := func(d time.Duration, one func() error) int64 {
		var n atomic.Int64
		stop := time.Now().Add(d)
		var wg sync.WaitGroup
		for range clients {
			wg.Go(func() {
				for time.Now().Before(stop) {
					if err := one(); err != nil {
						b.Error(err)
						return
					}
					n.Add(1)
				}
			})
		}
		wg.Wait()
		return n.Load()
	}
	api := func() error { be.get(b, path, false); return nil }
	raw := func() error { return replayRounds(ctx, be.raw, p.replay) }
	var apiN, rawN int64
	var apiT, rawT time.Duration
	slice := 2 * time.Second
	for b.Loop() {
		for range 3 {
			t0 := time.Now()
			apiN += run(slice, api)
			apiT += time.Since(t0)
			t0 = time.Now()
			rawN += run(slice, raw)
			rawT += time.Since(t0)
		}
	}
	apiRate, rawRate := float64(apiN)/apiT.Seconds(), float64(rawN)/rawT.Seconds()
	b.ReportMetric(apiRate, "api-req/s")
	b.ReportMetric(rawRate, "replay-req/s")
	b.ReportMetric(apiRate/rawRate, "api/replay")
	fmt.Fprintf(os.Stdout, "\nThroughput at c=%d, GET …/projects/{project}: API %.0f req/s, raw replay of its calls %.0f route-equivalents/s: %.0f%% (%d vs %d requests in alternating %v slices)\n",
		clients, apiRate, rawRate, 100*apiRate/rawRate, apiN, rawN, slice)
}
