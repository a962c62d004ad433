package deploy

import (
	"slices"
	"time"

	"github.com/orgplane/orgplane/shared/triggers"
)

// WithSampleTriggers returns l plus stand-in stream consumers and a
// schedule with non-default settings (batch size, retries, record age,
// several event names, a fixed rate), so tests of the generator and the
// CDK stack exercise more than the real lists happen to use. Their New
// borrow real constructors (infra/gen calls a trigger's New by name).
func (l Lists) WithSampleTriggers() Lists {
	l.StreamConsumers = append(slices.Clip(l.StreamConsumers), []triggers.StreamConsumer{
		{
			Name:   "sample-create-wallet",
			Filter: triggers.Filter{EventNames: []string{"INSERT"}, ItemTypes: []string{"organization"}},
			Writes: true, New: triggers.CreateWallet,
		},
		{
			Name:      "sample-send-invitation",
			Filter:    triggers.Filter{EventNames: []string{"INSERT", "MODIFY"}, ItemTypes: []string{"invitation"}},
			BatchSize: 5, MaxRetries: 5, MaxRecordAge: 6 * time.Hour,
			Writes: true, SendsEmail: true, TimeoutSeconds: 60, New: triggers.SendInvitation,
		},
	}...)
	l.Schedules = append(slices.Clip(l.Schedules),
		triggers.Schedule{Name: "sample-report", Every: 15 * time.Minute, MemoryMB: 512, New: triggers.RenewSubscriptions},
	)
	return l
}
