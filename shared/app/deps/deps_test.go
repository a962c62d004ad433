package deps_test

import (
	"context"
	"testing"

	"github.com/orgplane/orgplane/shared/app"
	"github.com/orgplane/orgplane/shared/app/deps"
	"github.com/orgplane/orgplane/shared/ses"
	"github.com/orgplane/orgplane/shared/smtp"
)

func TestNewMail(t *testing.T) {
	s, err := deps.NewMail(context.Background(), app.Config{SMTPAddr: "127.0.0.1:1025"})
	if got, ok := s.(*smtp.Sender); err != nil || !ok || got.Addr != "127.0.0.1:1025" || got.From != deps.DefaultLocalMailFrom {
		t.Errorf("with SMTP_ADDR: %#v, %v", s, err)
	}
	s, err = deps.NewMail(context.Background(), app.Config{Region: "eu-west-1", MailFrom: "Orgplane <no-reply@orgplane.dev>"})
	if got, ok := s.(*ses.Sender); err != nil || !ok || got.From != "Orgplane <no-reply@orgplane.dev>" || got.Client == nil {
		t.Errorf("without SMTP_ADDR: %#v, %v", s, err)
	}
}
