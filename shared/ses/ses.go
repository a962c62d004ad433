// Package ses sends Orgplane's email through Amazon SES v2 in AWS.
package ses

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/orgplane/orgplane/shared/mail"
)

// Sender sends as From (an SES-verified identity) through Client. Build
// it once per process.
type Sender struct {
	Client *sesv2.Client
	From   string
	// ConfigurationSet, when set, names the SES configuration set
	// (bounce and complaint handling) every message goes through.
	ConfigurationSet string
}

var _ mail.Sender = (*Sender)(nil)

// Send delivers m as a simple (text + HTML) message and returns SES's
// message id.
func (s *Sender) Send(ctx context.Context, m mail.Message) (string, error) {
	if s.From == "" {
		return "", errors.New("ses: no sender address (MAIL_FROM)")
	}
	utf8 := aws.String("UTF-8")
	body := &types.Body{}
	if m.Text != "" {
		body.Text = &types.Content{Data: aws.String(m.Text), Charset: utf8}
	}
	if m.HTML != "" {
		body.Html = &types.Content{Data: aws.String(m.HTML), Charset: utf8}
	}
	in := &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(s.From),
		Destination:      &types.Destination{ToAddresses: []string{m.To}},
		Content: &types.EmailContent{Simple: &types.Message{
			Subject: &types.Content{Data: aws.String(m.Subject), Charset: utf8},
			Body:    body,
		}},
	}
	if m.ID != "" {
		// Tags let a bounce or complaint be traced to the send request.
		in.EmailTags = []types.MessageTag{{Name: aws.String("send_request"), Value: aws.String(tagValue(m.ID))}}
	}
	if s.ConfigurationSet != "" {
		in.ConfigurationSetName = aws.String(s.ConfigurationSet)
	}
	out, err := s.Client.SendEmail(ctx, in)
	if err != nil {
		return "", fmt.Errorf("ses: send: %w", err)
	}
	return aws.ToString(out.MessageId), nil
}

// tagValue keeps the characters SES allows in tag values.
func tagValue(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			b[i] = '_'
		}
	}
	if len(b) > 256 {
		b = b[:256]
	}
	return string(b)
}
