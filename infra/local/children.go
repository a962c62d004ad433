package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/orgplane/orgplane/shared/ddblocal"
	"github.com/orgplane/orgplane/shared/s3local"
)

// children are the processes the stack starts: DynamoDB Local unless
// DYNAMODB_ENDPOINT names one, MailDev unless SMTP_ADDR names a server;
// and, in this process, the S3 server unless S3_ENDPOINT names one.
type children struct {
	ddb  *ddblocal.Process
	mail *mailDev
	s3   *s3local.Server
}

// startChildren starts both at once (the JVM dominates start-up) and
// fills in cfg's DynamoDB endpoint and SMTP address. If either fails, the
// other is stopped.
func startChildren(ctx context.Context, cfg *config) (*children, error) {
	var out io.Writer
	if cfg.Verbose {
		out = os.Stderr
	}
	k := &children{}
	var wg sync.WaitGroup
	var ddbErr, mailErr error
	if cfg.DynamoDBEndpoint == "" {
		// The fast-start JVM flags save ~1.7s of a ~3.3s start on two CPUs
		// and cost little throughput at the request rates of local use.
		opts := ddblocal.Options{Port: cfg.DynamoDBPort, Stdout: out, Stderr: out,
			JavaOptions: ddblocal.FastStartJavaOptions}
		if cfg.Persist {
			opts.DataDir = filepath.Join(cfg.stateDir(), "dynamodb")
		}
		wg.Go(func() {
			k.ddb, ddbErr = ddblocal.Start(ctx, opts)
			if ddbErr != nil && strings.Contains(ddbErr.Error(), "could not listen") {
				ddbErr = fmt.Errorf("%w\n(is another DynamoDB Local running? set DYNAMODB_PORT, or DYNAMODB_ENDPOINT to use it)", ddbErr)
			}
		})
	}
	if cfg.SMTPAddr == "" {
		dir := ""
		if cfg.Persist {
			dir = filepath.Join(cfg.stateDir(), "maildev")
		}
		wg.Go(func() {
			k.mail, mailErr = startMailDev(ctx, cfg.Root, cfg.MailDevSMTPPort, cfg.MailDevWebPort, dir, out)
		})
	}
	wg.Wait()
	var s3Err error
	if cfg.S3Endpoint == "" && ddbErr == nil && mailErr == nil {
		// In this process: gofakes3 over memory starts in microseconds.
		k.s3, s3Err = s3local.Start(s3local.Options{Port: cfg.S3Port, Buckets: []string{cfg.ExportBucket}})
		if s3Err != nil {
			s3Err = fmt.Errorf("%w\n(is another `make run` serving S3? set S3_PORT, or S3_ENDPOINT to use it)", s3Err)
		}
	}
	if ddbErr != nil || mailErr != nil || s3Err != nil {
		k.stop()
		return nil, errors.Join(ddbErr, mailErr, s3Err)
	}
	if k.ddb != nil {
		cfg.DynamoDBEndpoint = k.ddb.Endpoint()
	}
	if k.mail != nil {
		cfg.SMTPAddr = k.mail.SMTPAddr
	}
	if k.s3 != nil {
		cfg.S3Endpoint = k.s3.Endpoint()
	}
	return k, nil
}

// crashed delivers the error of the first child to exit on its own, until
// ctx ends.
func (k *children) crashed(ctx context.Context) <-chan error {
	ch := make(chan error, 1)
	var ddbExited, mailExited <-chan struct{} // nil (never ready) when not started
	if k.ddb != nil {
		ddbExited = k.ddb.Exited()
	}
	if k.mail != nil {
		mailExited = k.mail.Exited()
	}
	go func() {
		select {
		case <-ctx.Done():
		case <-ddbExited:
			ch <- k.ddb.Stop() // reports the unexpected exit with its output
		case <-mailExited:
			ch <- k.mail.Stop()
		}
	}()
	return ch
}

// stop stops every child that was started; safe to call more than once.
func (k *children) stop() {
	var wg sync.WaitGroup
	if k.mail != nil {
		wg.Go(func() { _ = k.mail.Stop() })
	}
	if k.ddb != nil {
		wg.Go(func() { _ = k.ddb.Stop() })
	}
	if k.s3 != nil {
		wg.Go(func() { _ = k.s3.Close() })
	}
	wg.Wait()
}
