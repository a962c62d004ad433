// Package ddbtest is the integration-test harness over DynamoDB Local.
//
// A test package opts in with
//
//	func TestMain(m *testing.M) { ddbtest.Main(m) }
//
// and each test takes a fresh table with NewTable. When DYNAMODB_ENDPOINT is
// set, that endpoint is used; otherwise Main starts DynamoDB Local (in
// memory) once for the test binary and stops it afterwards. If it cannot
// start, the test binary fails: integration tests are never skipped.
package ddbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgplane/orgplane/shared/ddblocal"
	"github.com/orgplane/orgplane/shared/table"
)

// EndpointEnv names the environment variable holding an already running
// DynamoDB endpoint (e.g. "http://127.0.0.1:8000") to test against.
const EndpointEnv = "DYNAMODB_ENDPOINT"

var (
	mu       sync.Mutex
	endpoint string // set by Main, or from EndpointEnv on first use
	client   *dynamodb.Client
)

// Main runs the package's tests against DynamoDB: the endpoint in
// DYNAMODB_ENDPOINT if set, else a DynamoDB Local started for this test
// binary. It does not return: it exits with m.Run's code, or 1 when
// DynamoDB Local cannot start.
func Main(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	flag.Parse() // for testing.Verbose
	if ep := os.Getenv(EndpointEnv); ep != "" {
		setEndpoint(ep)
		return m.Run()
	}

	began := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 2*ddblocal.StartTimeout)
	p, err := ddblocal.Start(ctx, ddblocal.Options{JavaOptions: ddblocal.FastStartJavaOptions})
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: ddbtest: cannot start DynamoDB Local for the integration tests: %v\n"+
			"(or set %s to the endpoint of a running DynamoDB Local)\n", err, EndpointEnv)
		return 1
	}
	if testing.Verbose() {
		fmt.Fprintf(os.Stderr, "ddbtest: DynamoDB Local (pid %d) ready at %s in %v\n",
			p.Pid(), p.Endpoint(), time.Since(began).Round(time.Millisecond))
	}
	setEndpoint(p.Endpoint())

	code := m.Run()

	if err := p.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "ddbtest: stopping DynamoDB Local: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

func setEndpoint(ep string) {
	mu.Lock()
	defer mu.Unlock()
	endpoint, client = ep, nil
}

// Endpoint returns the DynamoDB endpoint the tests use, failing tb if
// neither Main nor DYNAMODB_ENDPOINT has provided one.
func Endpoint(tb testing.TB) string {
	tb.Helper()
	mu.Lock()
	defer mu.Unlock()
	if endpoint == "" {
		endpoint = os.Getenv(EndpointEnv)
	}
	if endpoint == "" {
		tb.Fatalf("ddbtest: no DynamoDB endpoint: this test package needs\n" +
			"\tfunc TestMain(m *testing.M) { ddbtest.Main(m) }\n" +
			"(or set " + EndpointEnv + ")")
	}
	return endpoint
}

// Client returns the shared (uncounted) client for the test endpoint.
func Client(tb testing.TB) *dynamodb.Client {
	tb.Helper()
	ep := Endpoint(tb)
	mu.Lock()
	defer mu.Unlock()
	if client == nil {
		c, err := ddblocal.NewClient(context.Background(), ep)
		if err != nil {
			tb.Fatalf("ddbtest: %v", err)
		}
		client = c
	}
	return client
}

// NewTable creates a fresh table shaped by table.Definition (with its TTL
// attribute enabled, as deployed), named after the test plus a random
// suffix, waits until it and its indexes are ACTIVE, and deletes it when
// the test ends. It returns the shared client and the table name.
func NewTable(tb testing.TB) (*dynamodb.Client, string) {
	tb.Helper()
	c := Client(tb)
	name := TableName(tb.Name())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	tb.Cleanup(func() { deleteTable(tb, c, name) })
	if _, err := table.Definition.Ensure(ctx, c, name); err != nil {
		tb.Fatalf("ddbtest: %v", err)
	}
	return c, name
}

func deleteTable(tb testing.TB, c *dynamodb.Client, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := c.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name)})
	var notFound *types.ResourceNotFoundException
	if err != nil && !errors.As(err, &notFound) {
		tb.Errorf("ddbtest: DeleteTable %s: %v", name, err)
	}
}

// maxTableName is DynamoDB's limit on table name length.
const maxTableName = 255

// TableName turns a test name into a unique valid table name: characters
// outside [a-zA-Z0-9_.-] become '_', and "-" plus 8 random hex digits is
// appended, within 255 characters.
func TableName(testName string) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	suffix := "-" + hex.EncodeToString(b[:])

	base := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '.', r == '-':
			return r
		}
		return '_'
	}, testName)
	if base == "" {
		base = "test"
	}
	if max := maxTableName - len(suffix); len(base) > max {
		base = base[:max] // ASCII only after mapping, so byte slicing is safe
	}
	return base + suffix
}
