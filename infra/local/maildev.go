package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/orgplane/orgplane/shared/childproc"
)

// mailDev is MailDev (npm maildev@2 under infra/node_modules), the SMTP
// sink with a web UI and REST API (GET /email) that stands in for SES.
type mailDev struct {
	*childproc.Child
	SMTPAddr string // host:port
	WebURL   string
	dir      string // mail directory; removed on Stop unless persisted
	tempDir  bool
}

const mailDevStartTimeout = 30 * time.Second

var errChildExited = errors.New("exited during start-up")

// startMailDev starts MailDev on 127.0.0.1 and returns once both its SMTP
// and web ports answer. Mail is kept in dir, or in a temporary directory
// removed on Stop when dir is "".
func startMailDev(ctx context.Context, root string, smtpPort, webPort int, dir string, out io.Writer) (*mailDev, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("MailDev needs Node.js: install node 18 or newer and put it on PATH (or set SMTP_ADDR to an SMTP server to use instead)")
	}
	script := filepath.Join(root, "infra", "node_modules", "maildev", "bin", "maildev")
	if _, err := os.Stat(script); err != nil {
		return nil, fmt.Errorf("MailDev is not installed at %s: run `make deps` (or `npm ci --prefix infra`) from the repository root", script)
	}
	m := &mailDev{
		SMTPAddr: net.JoinHostPort(host, strconv.Itoa(smtpPort)),
		WebURL:   "http://" + net.JoinHostPort(host, strconv.Itoa(webPort)),
		dir:      dir,
	}
	if dir == "" {
		if m.dir, err = os.MkdirTemp("", "orgplane-maildev-"); err != nil {
			return nil, err
		}
		m.tempDir = true
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}

	cmd := exec.Command(node, script,
		"--smtp", strconv.Itoa(smtpPort), "--web", strconv.Itoa(webPort),
		"--ip", host, "--mail-directory", m.dir)
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = out, out
	if m.Child, err = childproc.Start("MailDev", cmd); err != nil {
		m.removeDir()
		return nil, fmt.Errorf("starting MailDev: %w", err)
	}
	if err := m.waitReady(ctx); err != nil {
		_ = m.Stop()
		return nil, err
	}
	return m, nil
}

// waitReady polls the SMTP port and GET /healthz until both answer.
func (m *mailDev) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, mailDevStartTimeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if m.answers(ctx, client) {
			return nil
		}
		select {
		case <-m.Exited():
			if strings.Contains(m.Output(), "EADDRINUSE") {
				return fmt.Errorf("MailDev could not listen on %s or %s: a port is in use (another MailDev?); "+
					"set MAILDEV_SMTP_PORT and MAILDEV_WEB_PORT, or SMTP_ADDR to use that SMTP server%s",
					m.SMTPAddr, m.WebURL, m.Suffix())
			}
			return fmt.Errorf("MailDev %w: %v%s", errChildExited, m.WaitErr(), m.Suffix())
		case <-ctx.Done():
			return fmt.Errorf("MailDev not ready at %s and %s: %w%s", m.SMTPAddr, m.WebURL, ctx.Err(), m.Suffix())
		case <-tick.C:
		}
	}
}

func (m *mailDev) answers(ctx context.Context, client *http.Client) bool {
	conn, err := (&net.Dialer{Timeout: time.Second}).DialContext(ctx, "tcp", m.SMTPAddr)
	if err != nil {
		return false
	}
	conn.Close()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.WebURL+"/healthz", nil)
	if err != nil {
		return false
	}
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// Stop stops MailDev and removes a temporary mail directory.
func (m *mailDev) Stop() error {
	err := m.Child.Stop()
	m.removeDir()
	return err
}

func (m *mailDev) removeDir() {
	if m.tempDir {
		_ = os.RemoveAll(m.dir)
	}
}
