package smtp_test

import (
	"bufio"
	"context"
	"io"
	"mime"
	"mime/multipart"
	"net"
	netmail "net/mail"
	"strings"
	"testing"

	"github.com/orgplane/orgplane/shared/mail"
	"github.com/orgplane/orgplane/shared/smtp"
)

// capture is a minimal SMTP server that accepts one message and hands
// over its data. (The invitation email's test sends through MailDev.)
func capture(t *testing.T) (string, <-chan string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	got := make(chan string, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		r, w := bufio.NewReader(c), bufio.NewWriter(c)
		say := func(s string) { _, _ = w.WriteString(s + "\r\n"); _ = w.Flush() }
		say("220 capture")
		var data strings.Builder
		inData := false
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			if inData {
				if line == ".\r\n" {
					inData = false
					got <- data.String()
					say("250 queued")
					continue
				}
				data.WriteString(strings.TrimPrefix(line, "."))
				continue
			}
			switch cmd := strings.ToUpper(strings.TrimSpace(line)); {
			case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
				say("250 capture")
			case cmd == "DATA":
				inData = true
				say("354 go ahead")
			case cmd == "QUIT":
				say("221 bye")
				return
			default:
				say("250 ok")
			}
		}
	}()
	return l.Addr().String(), got
}

func TestSend(t *testing.T) {
	addr, got := capture(t)
	s := &smtp.Sender{Addr: addr, From: "Orgplane <no-reply@orgplane.local>"}
	id, err := s.Send(context.Background(), mail.Message{ID: "inv_01abc.Nonce_1", To: "ada@example.com",
		Subject: "Bienvenue chez Acmé", Text: "Hello, a line that is long enough to be wrapped by quoted-printable encoding when it passes seventy-six characters.", HTML: "<p>Hello</p>"})
	if err != nil {
		t.Fatal(err)
	}
	if id != "<inv_01abc.Nonce_1@orgplane.local>" {
		t.Errorf("Message-ID %q", id)
	}
	msg, err := netmail.ReadMessage(strings.NewReader(<-got))
	if err != nil {
		t.Fatal(err)
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if subject != "Bienvenue chez Acmé" || msg.Header.Get("To") != "<ada@example.com>" || msg.Header.Get("Message-ID") != id {
		t.Errorf("headers %v (subject %q)", msg.Header, subject)
	}
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	parts := multipart.NewReader(msg.Body, params["boundary"])
	var bodies []string
	for {
		p, err := parts.NextPart() // decodes quoted-printable
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		bodies = append(bodies, p.Header.Get("Content-Type")+": "+string(b))
	}
	want := []string{
		"text/plain; charset=utf-8: Hello, a line that is long enough to be wrapped by quoted-printable encoding when it passes seventy-six characters.",
		"text/html; charset=utf-8: <p>Hello</p>",
	}
	if strings.Join(bodies, "\n") != strings.Join(want, "\n") {
		t.Errorf("parts\n%s\nwant\n%s", strings.Join(bodies, "\n"), strings.Join(want, "\n"))
	}
}

func TestRefusesHeaderInjection(t *testing.T) {
	s := &smtp.Sender{Addr: "127.0.0.1:1", From: "no-reply@orgplane.local"}
	for _, m := range []mail.Message{
		{To: "ada@example.com", Subject: "Hi\r\nBcc: eve@example.com"},
		{To: "ada@example.com\r\nBcc: eve@example.com", Subject: "Hi"},
	} {
		if _, err := s.Send(context.Background(), m); err == nil || strings.Contains(err.Error(), "dial") {
			t.Errorf("%q: %v, want refused before dialing", m.To+" / "+m.Subject, err)
		}
	}
}
