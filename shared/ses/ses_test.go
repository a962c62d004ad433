package ses_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/orgplane/orgplane/shared/mail"
	"github.com/orgplane/orgplane/shared/ses"
)

// TestSend sends through the real SES v2 client to a stand-in endpoint
// and checks the request SES would receive.
func TestSend(t *testing.T) {
	var got struct {
		FromEmailAddress string
		Destination      struct{ ToAddresses []string }
		Content          struct {
			Simple struct {
				Subject struct{ Data, Charset string }
				Body    struct {
					Text, Html struct{ Data, Charset string }
				}
			}
		}
		EmailTags []struct{ Name, Value string }
	}
	var path string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path = r.Method + " " + r.URL.Path
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &got); err != nil {
			t.Errorf("request body: %v: %s", err, body)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"MessageId":"0100018c-test"}`))
	}))
	defer srv.Close()
	client := sesv2.New(sesv2.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("k", "s", "")})
	s := &ses.Sender{Client: client, From: "Orgplane <no-reply@orgplane.dev>"}

	id, err := s.Send(context.Background(), mail.Message{ID: "inv_01abc.nonce-1", To: "ada@example.com",
		Subject: "Hi", Text: "text body", HTML: "<p>html body</p>"})
	if err != nil {
		t.Fatal(err)
	}
	if id != "0100018c-test" {
		t.Errorf("message id %q", id)
	}
	if path != "POST /v2/email/outbound-emails" {
		t.Errorf("request %s", path)
	}
	c := got.Content.Simple
	if got.FromEmailAddress != "Orgplane <no-reply@orgplane.dev>" || len(got.Destination.ToAddresses) != 1 ||
		got.Destination.ToAddresses[0] != "ada@example.com" || c.Subject.Data != "Hi" ||
		c.Body.Text.Data != "text body" || c.Body.Html.Data != "<p>html body</p>" || c.Body.Text.Charset != "UTF-8" {
		t.Errorf("request %+v", got)
	}
	if len(got.EmailTags) != 1 || got.EmailTags[0].Value != "inv_01abc_nonce-1" {
		t.Errorf("tags %+v", got.EmailTags)
	}

	if _, err := (&ses.Sender{Client: client}).Send(context.Background(), mail.Message{To: "a@b.c"}); err == nil {
		t.Error("a sender without MAIL_FROM sent")
	}
}
