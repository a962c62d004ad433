package testkit

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orgplane/orgplane/shared/ddblocal"
)

// MailDev is MailDev (npm maildev@2, under infra/node_modules), started
// for one test on free ports: the SMTP address to send to and the web
// URL whose REST API (GET /email) lists what arrived.
type MailDev struct {
	SMTPAddr string
	WebURL   string
}

// StartMailDev starts MailDev and waits for its REST API. It fails the
// test, never skips it, when MailDev cannot run.
func StartMailDev(tb testing.TB) MailDev {
	tb.Helper()
	root, err := ddblocal.RepoRoot()
	if err != nil {
		tb.Fatal(err)
	}
	bin := filepath.Join(root, "infra", "node_modules", "maildev", "bin", "maildev")
	node, err := exec.LookPath("node")
	if err != nil {
		tb.Fatalf("MailDev needs node on PATH: %v", err)
	}
	smtpPort, webPort := freePort(tb), freePort(tb)
	cmd := exec.Command(node, bin, "--ip", "127.0.0.1", "--smtp", fmt.Sprint(smtpPort), "--web", fmt.Sprint(webPort),
		"--mail-directory", tb.TempDir())
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		tb.Fatalf("starting MailDev (%s; run `npm ci --prefix infra`): %v", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	tb.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	md := MailDev{SMTPAddr: fmt.Sprintf("127.0.0.1:%d", smtpPort), WebURL: fmt.Sprintf("http://127.0.0.1:%d", webPort)}
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case err := <-exited:
			tb.Fatalf("MailDev exited: %v\n%s", err, out.String())
		default:
		}
		res, err := http.Get(md.WebURL + "/email")
		if err == nil {
			res.Body.Close()
			if c, err := net.Dial("tcp", md.SMTPAddr); err == nil {
				c.Close()
				return md
			}
		}
		if time.Now().After(deadline) {
			tb.Fatalf("MailDev did not answer within 30s:\n%s", out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func freePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Received is an email as MailDev's REST API (GET /email) lists it.
type Received struct {
	Subject string `json:"subject"`
	Text    string `json:"text"`
	HTML    string `json:"html"`
	From    []struct {
		Address string `json:"address"`
		Name    string `json:"name"`
	} `json:"from"`
	To []struct {
		Address string `json:"address"`
	} `json:"to"`
	MessageID string `json:"messageId"`
}

// Inbox is every email MailDev holds.
func (md MailDev) Inbox(tb testing.TB) []Received {
	tb.Helper()
	res, err := http.Get(md.WebURL + "/email")
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	var got []Received
	if err := json.NewDecoder(res.Body).Decode(&got); err != nil {
		tb.Fatal(err)
	}
	return got
}

// WaitInbox is Inbox once it holds at least n emails (MailDev stores a
// message just after its SMTP reply), or after about two seconds.
func (md MailDev) WaitInbox(tb testing.TB, n int) []Received {
	tb.Helper()
	got := md.Inbox(tb)
	for attempt := 0; attempt < 100 && len(got) < n; attempt++ {
		time.Sleep(20 * time.Millisecond)
		got = md.Inbox(tb)
	}
	return got
}
