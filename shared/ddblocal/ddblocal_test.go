package ddblocal_test

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgplane/orgplane/shared/ddblocal"
	"github.com/orgplane/orgplane/shared/table"
)

func start(t *testing.T, opts ddblocal.Options) *ddblocal.Process {
	t.Helper()
	began := time.Now()
	p, err := ddblocal.Start(t.Context(), opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Logf("DynamoDB Local ready at %s after %v", p.Endpoint(), time.Since(began).Round(time.Millisecond))
	t.Cleanup(func() { _ = p.Stop() })
	return p
}

func client(t *testing.T, p *ddblocal.Process) *dynamodb.Client {
	t.Helper()
	c, err := ddblocal.NewClient(t.Context(), p.Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func listTables(t *testing.T, c *dynamodb.Client) []string {
	t.Helper()
	out, err := c.ListTables(t.Context(), &dynamodb.ListTablesInput{})
	if err != nil {
		t.Fatalf("ListTables: %v", err)
	}
	return out.TableNames
}

func TestInMemoryStartStop(t *testing.T) {
	p := start(t, ddblocal.Options{JavaOptions: ddblocal.FastStartJavaOptions})
	if !strings.HasPrefix(p.Endpoint(), "http://127.0.0.1:") || p.Port() == 0 {
		t.Fatalf("endpoint %q port %d", p.Endpoint(), p.Port())
	}
	c := client(t, p)
	if _, err := c.CreateTable(t.Context(), table.Definition.CreateTableInput("tbl1")); err != nil {
		t.Fatalf("CreateTable: %v", err)
	}

	// -sharedDb: a client with other credentials and region sees the table.
	// (DynamoDB Local 2+ rejects access key ids that are not alphanumeric.)
	other, _ := ddblocal.NewClient(t.Context(), p.Endpoint(), func(o *dynamodb.Options) {
		o.Region = "eu-west-1"
		o.Credentials = credentials.NewStaticCredentialsProvider("someoneElse2", "x", "")
	})
	if got := listTables(t, other); len(got) != 1 || got[0] != "tbl1" {
		t.Fatalf("tables seen from another region: %v", got)
	}

	if err := p.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	select {
	case <-p.Exited():
	default:
		t.Fatal("process still running after Stop")
	}
	if err := p.Stop(); err != nil { // idempotent
		t.Fatalf("second Stop: %v", err)
	}
	if conn, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p.Port())), time.Second); err == nil {
		conn.Close()
		t.Fatal("port still accepting connections after Stop")
	}
}

func TestDataDirPersists(t *testing.T) {
	dir := t.TempDir() + "/nested/db"
	p := start(t, ddblocal.Options{DataDir: dir})
	c := client(t, p)
	if _, err := c.CreateTable(t.Context(), table.Definition.CreateTableInput("kept")); err != nil {
		t.Fatalf("CreateTable: %v", err)
	}
	if _, err := c.PutItem(t.Context(), &dynamodb.PutItemInput{
		TableName: aws.String("kept"),
		Item: map[string]types.AttributeValue{
			table.PK: &types.AttributeValueMemberS{Value: "a"},
			table.SK: &types.AttributeValueMemberS{Value: "b"},
		},
	}); err != nil {
		t.Fatalf("PutItem: %v", err)
	}
	if err := p.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}

	p2 := start(t, ddblocal.Options{DataDir: dir})
	c2 := client(t, p2)
	out, err := c2.GetItem(t.Context(), &dynamodb.GetItemInput{
		TableName: aws.String("kept"),
		Key: map[string]types.AttributeValue{
			table.PK: &types.AttributeValueMemberS{Value: "a"},
			table.SK: &types.AttributeValueMemberS{Value: "b"},
		},
	})
	if err != nil {
		t.Fatalf("GetItem after restart: %v", err)
	}
	if out.Item == nil {
		t.Fatal("item lost across restart")
	}
}

func TestFixedPortInUse(t *testing.T) {
	l, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	p, err := ddblocal.Start(t.Context(), ddblocal.Options{Port: port})
	if err == nil {
		p.Stop()
		t.Fatal("Start succeeded on a busy port")
	}
	t.Logf("error (expected): %v", err)
}

func TestMissingJarSaysWhatToRun(t *testing.T) {
	t.Setenv(ddblocal.JarDirEnv, t.TempDir())
	_, err := ddblocal.Start(context.Background(), ddblocal.Options{})
	if err == nil {
		t.Fatal("Start succeeded without a jar")
	}
	if !strings.Contains(err.Error(), "npm ci --prefix infra") || !strings.Contains(err.Error(), "make deps") {
		t.Fatalf("error does not say what to run: %v", err)
	}
}

func TestMissingJavaSaysWhatToInstall(t *testing.T) {
	t.Setenv("JAVA_HOME", "")
	t.Setenv("PATH", t.TempDir())
	_, err := ddblocal.Start(context.Background(), ddblocal.Options{})
	if err == nil {
		t.Fatal("Start succeeded without java")
	}
	if !strings.Contains(err.Error(), "Java 17") {
		t.Fatalf("error does not say to install Java 17: %v", err)
	}
}

func TestNewClientRejectsEmptyEndpoint(t *testing.T) {
	if _, err := ddblocal.NewClient(context.Background(), ""); err == nil {
		t.Fatal("no error")
	}
}

func TestArgs(t *testing.T) {
	got := strings.Join(ddblocal.Args("/d", 8000, ""), " ")
	want := "-Djava.library.path=/d/DynamoDBLocal_lib -jar /d/DynamoDBLocal.jar -port 8000 -sharedDb -disableTelemetry -inMemory"
	if got != want {
		t.Fatalf("Args:\n got %s\nwant %s", got, want)
	}
	got = strings.Join(ddblocal.Args("/d", 8000, "/data"), " ")
	if !strings.HasSuffix(got, "-dbPath /data") {
		t.Fatalf("Args with data dir: %s", got)
	}
	got = strings.Join(ddblocal.Args("/d", 8000, "", "-Xmx256m"), " ")
	if !strings.HasPrefix(got, "-Xmx256m -Djava.library.path=") {
		t.Fatalf("Args with java options: %s", got)
	}
}
