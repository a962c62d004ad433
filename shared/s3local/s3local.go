// Package s3local serves a real S3 API on a local port, for the local
// stack and the tests, the way package ddblocal runs DynamoDB Local: the
// S3-compatible server of github.com/johannesboyne/gofakes3 over an
// in-memory backend, served over HTTP in-process. Clients talk to it with
// the same aws-sdk-go-v2 S3 client code as in AWS (package bucket), with
// path-style addressing.
//
// gofakes3 checks no credentials. Like a private S3 bucket, this server
// refuses anonymous requests, and it checks presigned URLs as S3 does:
// the SigV4 query signature (against the local credentials) and its
// expiry (on the server's clock, which tests may set). Requests the SDK
// signs in the Authorization header are accepted as they are.
package s3local

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// Region and the static credentials every local client signs with.
const (
	Region    = "us-east-1"
	AccessKey = "local"
	SecretKey = "local"
)

// Credentials are the local credentials, for an SDK client.
func Credentials() aws.CredentialsProvider {
	return aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, ""))
}

// Options configures Start.
type Options struct {
	// Port to listen on (127.0.0.1); 0 picks a free port.
	Port int
	// Buckets are created empty at start.
	Buckets []string
	// Now is the server's clock (presigned URL expiry); nil is time.Now.
	Now func() time.Time
}

// Server is a running local S3 API.
type Server struct {
	srv      *http.Server
	endpoint string
	done     chan struct{}
	once     sync.Once
}

// Start listens and serves until Close.
func Start(opts Options) (*Server, error) {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	backend := s3mem.New(s3mem.WithTimeSource(clock(now)))
	for _, b := range opts.Buckets {
		if err := backend.CreateBucket(b); err != nil {
			return nil, fmt.Errorf("s3local: create bucket %q: %w", b, err)
		}
	}
	fake := gofakes3.New(backend, gofakes3.WithTimeSource(clock(now)), gofakes3.WithoutVersioning(),
		// The SDK stamps header-signed requests with the real time; a
		// test's clock may be far from it.
		gofakes3.WithTimeSkewLimit(0))
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", opts.Port))
	if err != nil {
		return nil, fmt.Errorf("s3local: cannot listen on 127.0.0.1:%d: %w", opts.Port, err)
	}
	s := &Server{
		srv:      &http.Server{Handler: private(fake.Server(), now), ReadHeaderTimeout: 10 * time.Second},
		endpoint: "http://" + ln.Addr().String(),
		done:     make(chan struct{}),
	}
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Println("s3local:", err)
		}
	}()
	return s, nil
}

// Endpoint is the base URL to give clients, e.g. "http://127.0.0.1:9000".
func (s *Server) Endpoint() string { return s.endpoint }

// Close stops serving. It is safe to call more than once.
func (s *Server) Close() error {
	var err error
	s.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err = s.srv.Shutdown(ctx)
		<-s.done
	})
	return err
}

// clock is gofakes3's time source over a clock function.
type clock func() time.Time

func (c clock) Now() time.Time                  { return c() }
func (c clock) Since(t time.Time) time.Duration { return c().Sub(t) }
