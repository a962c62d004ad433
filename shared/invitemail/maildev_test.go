package invitemail_test

import (
	"context"
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
	"github.com/orgplane/orgplane/shared/invites"
	"github.com/orgplane/orgplane/shared/mail"
	"github.com/orgplane/orgplane/shared/smtp"
)

// maildev is MailDev (npm maildev@2, under infra/node_modules), started
// for one test on free ports.
type maildev struct {
	smtpAddr string
	webURL   string
}

// startMailDev starts MailDev and waits for its REST API. It fails the
// test, never skips it, when MailDev cannot run.
func startMailDev(t *testing.T) maildev {
	t.Helper()
	root, err := ddblocal.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(root, "infra", "node_modules", "maildev", "bin", "maildev")
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("MailDev needs node on PATH: %v", err)
	}
	smtpPort, webPort := freePort(t), freePort(t)
	cmd := exec.Command(node, bin, "--ip", "127.0.0.1", "--smtp", fmt.Sprint(smtpPort), "--web", fmt.Sprint(webPort),
		"--mail-directory", t.TempDir())
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting MailDev (%s; run `npm ci --prefix infra`): %v", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	md := maildev{smtpAddr: fmt.Sprintf("127.0.0.1:%d", smtpPort), webURL: fmt.Sprintf("http://127.0.0.1:%d", webPort)}
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case err := <-exited:
			t.Fatalf("MailDev exited: %v\n%s", err, out.String())
		default:
		}
		res, err := http.Get(md.webURL + "/email")
		if err == nil {
			res.Body.Close()
			if c, err := net.Dial("tcp", md.smtpAddr); err == nil {
				c.Close()
				return md
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("MailDev did not answer within 30s:\n%s", out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// received is an email as MailDev's REST API (GET /email) lists it.
type received struct {
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

func (md maildev) inbox(t *testing.T) []received {
	t.Helper()
	res, err := http.Get(md.webURL + "/email")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var got []received
	if err := json.NewDecoder(res.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	return got
}

// TestThroughMailDev sends through the SMTP sender to a real MailDev and
// reads the result back from its REST API, delivering the batch five
// times: one email arrives, with a link whose token finds the invitation.
func TestThroughMailDev(t *testing.T) {
	md := startMailDev(t)
	f := newFixture(t)
	owner := f.newOrg(t, "Acme Rockets")
	inv := f.invite(t, owner, "ada@example.com")
	ev := f.batch(t, 1)
	sender := &smtp.Sender{Addr: md.smtpAddr, From: "Orgplane <no-reply@orgplane.local>"}
	h := f.handler(sender)
	for range 5 {
		redeliver(t, h, ev)
	}

	var got []received
	for attempt := 0; attempt < 100 && len(got) == 0; attempt++ {
		if got = md.inbox(t); len(got) == 0 {
			time.Sleep(20 * time.Millisecond) // MailDev stores a message just after the SMTP reply
		}
	}
	if len(got) != 1 {
		t.Fatalf("MailDev holds %d emails, want 1", len(got))
	}
	m := got[0]
	if m.Subject != "Acme Rockets Owner invited you to join Acme Rockets on Orgplane" {
		t.Errorf("subject %q", m.Subject)
	}
	if len(m.To) != 1 || m.To[0].Address != "ada@example.com" || len(m.From) != 1 || m.From[0].Address != "no-reply@orgplane.local" {
		t.Errorf("from %v to %v", m.From, m.To)
	}
	if !strings.Contains(m.MessageID, inv.ID) {
		t.Errorf("Message-ID %q does not name the send request of %s", m.MessageID, inv.ID)
	}
	token := tokenIn(t, mail.Message{Text: m.Text, HTML: strings.ReplaceAll(m.HTML, "&amp;", "&")})
	found, _, err := f.store.InvitationByToken(context.Background(), invites.Hash(token))
	if err != nil || found.ID != inv.ID {
		t.Fatalf("the emailed token finds %+v, %v; want %s", found, err, inv.ID)
	}
}
