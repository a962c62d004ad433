// Package mail is what Orgplane knows about email: a message and the
// Sender that delivers it. Senders live in packages named after their
// service: ses (AWS SES v2) and smtp (MailDev locally).
package mail

import "context"

// Message is one email with a plain-text and an HTML body.
type Message struct {
	// ID identifies the send request the message answers; senders use it
	// where the service allows (the SMTP Message-ID), and logs name it.
	ID      string
	To      string
	Subject string
	Text    string
	HTML    string
}

// Sender delivers messages. Send returns the service's id of the sent
// message.
type Sender interface {
	Send(ctx context.Context, m Message) (string, error)
}
