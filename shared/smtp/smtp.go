// Package smtp sends Orgplane's email over plain SMTP: MailDev in the
// local stack (127.0.0.1:1025), or any relay that needs no auth.
package smtp

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	stdsmtp "net/smtp"
	"net/textproto"
	"strings"
	"time"

	"github.com/orgplane/orgplane/shared/mail"
)

// DefaultTimeout bounds one send when the context has no deadline.
const DefaultTimeout = 30 * time.Second

// Sender sends through the SMTP server at Addr as From.
type Sender struct {
	Addr string // host:port
	From string // "Orgplane <no-reply@orgplane.local>"
}

var _ mail.Sender = (*Sender)(nil)

// Send delivers m and returns its Message-ID.
func (s *Sender) Send(ctx context.Context, m mail.Message) (string, error) {
	from, err := netmail.ParseAddress(s.From)
	if err != nil {
		return "", fmt.Errorf("smtp: sender address %q: %w", s.From, err)
	}
	to, err := netmail.ParseAddress(m.To)
	if err != nil {
		return "", fmt.Errorf("smtp: recipient address: %w", err)
	}
	id := messageID(m.ID, from.Address)
	body, err := compose(from, to, id, m)
	if err != nil {
		return "", err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultTimeout)
		defer cancel()
	}
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", s.Addr)
	if err != nil {
		return "", fmt.Errorf("smtp: dial %s: %w", s.Addr, err)
	}
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline)
	host, _, _ := net.SplitHostPort(s.Addr)
	c, err := stdsmtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return "", fmt.Errorf("smtp: %w", err)
	}
	defer c.Close()
	if err := deliver(c, from.Address, to.Address, body); err != nil {
		return "", fmt.Errorf("smtp: %w", err)
	}
	return id, nil
}

func deliver(c *stdsmtp.Client, from, to string, body []byte) error {
	if err := c.Hello("orgplane"); err != nil {
		return err
	}
	if err := c.Mail(from); err != nil {
		return err
	}
	if err := c.Rcpt(to); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(body); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// messageID derives the Message-ID from the send request's id when there
// is one, so a message is recognisable in the sink's list.
func messageID(requestID, from string) string {
	domain := "orgplane.local"
	if at := strings.LastIndexByte(from, '@'); at >= 0 {
		domain = from[at+1:]
	}
	local := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_' {
			return r
		}
		return '.'
	}, requestID)
	if local == "" {
		var b [12]byte
		_, _ = rand.Read(b[:])
		local = hex.EncodeToString(b[:])
	}
	return "<" + local + "@" + domain + ">"
}

// compose builds a multipart/alternative message: text first, HTML last,
// as mail clients prefer the last part they can show.
func compose(from, to *netmail.Address, id string, m mail.Message) ([]byte, error) {
	if strings.ContainsAny(m.Subject, "\r\n") {
		return nil, errors.New("smtp: the subject holds a line break")
	}
	var buf bytes.Buffer
	parts := multipart.NewWriter(&buf)
	h := []string{
		"From: " + from.String(),
		"To: " + to.String(),
		"Subject: " + mime.QEncoding.Encode("utf-8", m.Subject),
		"Date: " + time.Now().UTC().Format(time.RFC1123Z),
		"Message-ID: " + id,
		"MIME-Version: 1.0",
		`Content-Type: multipart/alternative; boundary="` + parts.Boundary() + `"`,
	}
	var out bytes.Buffer
	out.WriteString(strings.Join(h, "\r\n") + "\r\n\r\n")
	for _, p := range []struct{ ctype, body string }{{"text/plain", m.Text}, {"text/html", m.HTML}} {
		if p.body == "" {
			continue
		}
		w, err := parts.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {p.ctype + "; charset=utf-8"},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, err
		}
		qp := quotedprintable.NewWriter(w)
		if _, err := qp.Write([]byte(p.body)); err != nil {
			return nil, err
		}
		if err := qp.Close(); err != nil {
			return nil, err
		}
	}
	if err := parts.Close(); err != nil {
		return nil, err
	}
	out.Write(buf.Bytes())
	return out.Bytes(), nil
}
