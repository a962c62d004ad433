// Package triggers describes the functions that are not HTTP routes: the
// consumers of the table's stream and the scheduled jobs. Like api.Routes,
// these lists are the single source for functions/, the CDK stack,
// template.yaml and the local stream runner and scheduler.
package triggers

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orgplane/orgplane/shared/autostop"
	"github.com/orgplane/orgplane/shared/billing"
	"github.com/orgplane/orgplane/shared/billingmail"
	"github.com/orgplane/orgplane/shared/bucket"
	"github.com/orgplane/orgplane/shared/ddb"
	"github.com/orgplane/orgplane/shared/exportjob"
	"github.com/orgplane/orgplane/shared/invitemail"
	"github.com/orgplane/orgplane/shared/invites"
	"github.com/orgplane/orgplane/shared/mail"
	"github.com/orgplane/orgplane/shared/renewal"
	"github.com/orgplane/orgplane/shared/usagestream"
	"github.com/orgplane/orgplane/shared/walletstream"
)

// Filter selects stream records by event name and by the `type` attribute
// of the item's new image (old image for REMOVE). The CDK event source
// mapping and the local stream runner both use it: Pattern for Lambda
// filter criteria, Match locally.
type Filter struct {
	EventNames []string // INSERT, MODIFY, REMOVE
	ItemTypes  []string // values of the item's `type` attribute
}

// Pattern is the Lambda event filter pattern (FilterCriteria.Filters[].Pattern).
func (f Filter) Pattern() string {
	image := "NewImage"
	if len(f.EventNames) == 1 && f.EventNames[0] == "REMOVE" {
		image = "OldImage"
	}
	p := map[string]any{
		"eventName": f.EventNames,
		"dynamodb": map[string]any{
			image: map[string]any{"type": map[string]any{"S": f.ItemTypes}},
		},
	}
	b, err := json.Marshal(p)
	if err != nil {
		panic(fmt.Sprintf("triggers: filter pattern: %v", err))
	}
	return string(b)
}

// Match reports whether a record passes the filter, as Lambda would.
func (f Filter) Match(rec events.DynamoDBEventRecord) bool {
	if !slices.Contains(f.EventNames, rec.EventName) {
		return false
	}
	image := rec.Change.NewImage
	if rec.EventName == "REMOVE" {
		image = rec.Change.OldImage
	}
	t, ok := image["type"]
	if !ok || t.DataType() != events.DataTypeString {
		return false
	}
	return slices.Contains(f.ItemTypes, t.String())
}

// StreamConsumer is a function fed by the table's stream.
type StreamConsumer struct {
	Name   string
	Filter Filter
	// MoreFilters are ORed with Filter, as the event source mapping's
	// further filters (Lambda allows five by default): a consumer that
	// needs a REMOVE's old image beside an INSERT's new one.
	MoreFilters []Filter
	// BatchSize is the most records per invocation; zero means
	// DefaultBatchSize.
	BatchSize int
	// MaxRetries bounds redelivery of a failing record before it goes to
	// the on-failure queue; MaxRecordAge bounds how stale a record may be.
	// Zero means DefaultMaxRetries and DefaultMaxRecordAge.
	MaxRetries   int
	MaxRecordAge time.Duration
	// Writes is false for consumers that only read the table; their
	// functions get read-only table access.
	Writes bool
	// WritePartitions, when set, confine a writing consumer's writes to
	// the partitions the dynamodb:LeadingKeys patterns it returns name
	// (see Partitions). A function, not a slice: the lists must stay
	// statically initialized (no field read from another package's
	// variable), or their initialization would link every consumer's
	// New into every function; TestTriggerLinksItsOwnAlone holds it.
	WritePartitions func() []string
	// Sends email (SES permission in AWS).
	SendsEmail bool
	// WritesExports: the consumer writes files into the export bucket
	// (PutObject under its exports prefix, nothing else).
	WritesExports bool
	// MemoryMB and TimeoutSeconds size the function; zero means the defaults.
	MemoryMB       int
	TimeoutSeconds int
	// New builds the handler from the process's dependencies.
	New func(Deps) StreamHandler
}

// Partitions are the patterns WritePartitions returns (nil: anywhere).
func (c StreamConsumer) Partitions() []string {
	if c.WritePartitions == nil {
		return nil
	}
	return c.WritePartitions()
}

// Defaults for what a StreamConsumer or Schedule leaves zero.
const (
	DefaultBatchSize      = 10
	DefaultMaxRetries     = 3
	DefaultMaxRecordAge   = time.Hour
	DefaultMemoryMB       = 256
	DefaultTimeoutSeconds = 30
)

// Filters are the consumer's filters: Filter, then MoreFilters.
func (c StreamConsumer) Filters() []Filter { return append([]Filter{c.Filter}, c.MoreFilters...) }

// Patterns are the event source mapping's filter patterns, one per filter.
func (c StreamConsumer) Patterns() []string {
	var out []string
	for _, f := range c.Filters() {
		out = append(out, f.Pattern())
	}
	return out
}

// Match reports whether any of the consumer's filters passes the record.
func (c StreamConsumer) Match(rec events.DynamoDBEventRecord) bool {
	return slices.ContainsFunc(c.Filters(), func(f Filter) bool { return f.Match(rec) })
}

// Batch is the event source mapping's batch size.
func (c StreamConsumer) Batch() int { return orDefault(c.BatchSize, DefaultBatchSize) }

// Retries is the event source mapping's MaximumRetryAttempts.
func (c StreamConsumer) Retries() int { return orDefault(c.MaxRetries, DefaultMaxRetries) }

// RecordAge is the event source mapping's MaximumRecordAgeInSeconds, as a
// duration.
func (c StreamConsumer) RecordAge() time.Duration {
	if c.MaxRecordAge > 0 {
		return c.MaxRecordAge
	}
	return DefaultMaxRecordAge
}

// Memory is the function's memory size in MB.
func (c StreamConsumer) Memory() int { return orDefault(c.MemoryMB, DefaultMemoryMB) }

// Timeout is the function's timeout in seconds.
func (c StreamConsumer) Timeout() int { return orDefault(c.TimeoutSeconds, DefaultTimeoutSeconds) }

// Schedule is a function run on a fixed rate by EventBridge in AWS and by
// the local scheduler in `make run`.
type Schedule struct {
	Name string
	// Every is the default rate; the stack's context or env may override it.
	Every time.Duration
	// RateContext names the CDK context key that overrides Every at deploy
	// time (e.g. "idleCheckRate"); empty means the rate is fixed.
	RateContext string
	// Writes is false for jobs that only read the table.
	Writes         bool
	MemoryMB       int
	TimeoutSeconds int
	// New builds the handler from the process's dependencies.
	New func(Deps) ScheduleHandler
}

// Memory is the function's memory size in MB.
func (s Schedule) Memory() int { return orDefault(s.MemoryMB, DefaultMemoryMB) }

// Timeout is the function's timeout in seconds.
func (s Schedule) Timeout() int { return orDefault(s.TimeoutSeconds, DefaultTimeoutSeconds) }

// Expression is the EventBridge schedule expression, rate(N minutes).
func (s Schedule) Expression() string { return RateExpression(s.Every) }

// RateExpression is the EventBridge rate expression for every, in whole
// minutes (at least one).
func RateExpression(every time.Duration) string {
	m := int(every / time.Minute)
	if m <= 1 {
		return "rate(1 minute)"
	}
	return fmt.Sprintf("rate(%d minutes)", m)
}

func orDefault(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

// Deps is what trigger handlers are built from, once per process.
type Deps struct {
	Store *ddb.Store
	// AppURL is the public base URL of the product, for links in emails.
	AppURL string
	Now    func() time.Time
	// Mail sends email: SES in AWS, SMTP (MailDev) locally.
	Mail mail.Sender
	// InviteSecret derives invitation tokens (INVITE_TOKEN_SECRET).
	InviteSecret invites.Secret
	// IdleTimeout is APP_IDLE_TIMEOUT: how long an app instance may go
	// without access before the stop-idle-apps job stops it.
	IdleTimeout time.Duration
	// BillingPeriod is the length of a subscription period (BILLING_PERIOD
	// locally; a calendar month otherwise).
	BillingPeriod billing.Period
	// Exports is the export bucket (EXPORT_BUCKET), for the consumers
	// that write into it.
	Exports *bucket.Bucket
}

// StreamHandler is a stream consumer's Lambda handler: failures are
// reported per record in BatchItemFailures, never by failing the batch.
type StreamHandler func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error)

// ScheduleHandler is a scheduled job's Lambda handler.
type ScheduleHandler func(context.Context, events.EventBridgeEvent) error

// FindStream returns the stream consumer with the name.
func FindStream(name string) (StreamConsumer, bool) {
	for _, c := range StreamConsumers {
		if c.Name == name {
			return c, true
		}
	}
	return StreamConsumer{}, false
}

// FindSchedule returns the schedule with the name.
func FindSchedule(name string) (Schedule, bool) {
	for _, s := range Schedules {
		if s.Name == name {
			return s, true
		}
	}
	return Schedule{}, false
}

// StreamConsumers is every stream consumer of Orgplane.
var StreamConsumers = []StreamConsumer{
	{
		// Every new org gets its wallet; the put is conditional, so
		// redelivery is a no-op.
		Name:   walletstream.Name,
		Filter: Filter{EventNames: []string{"INSERT"}, ItemTypes: []string{ddb.TypeOrganization}},
		Writes: true,
		New:    CreateWallet,
	},
	{
		// Each send request (an invitation's creation, each resend) is an
		// item of its own, written once: its INSERT is exactly one email
		// to send. The consumer's own writes to it (claim, sent-marker)
		// are MODIFYs, which the filter leaves out.
		Name:       invitemail.Name,
		Filter:     Filter{EventNames: []string{"INSERT"}, ItemTypes: []string{ddb.TypeInvitationEmail}},
		Writes:     true,
		SendsEmail: true,
		New:        SendInvitation,
	},
	{
		// A wallet change that takes the balance below the next renewal's
		// price, and a subscription that turns past_due, each mail the
		// org's billing contacts once (a claimed marker per change).
		Name:       billingmail.Name,
		Filter:     Filter{EventNames: []string{"MODIFY"}, ItemTypes: []string{ddb.TypeWallet, ddb.TypeSubscription}},
		Writes:     true,
		SendsEmail: true,
		New:        SendBillingEmail,
	},
	{
		// Each export job's INSERT is one file to build into the export
		// bucket. A build settles its job (ready or failed), so a
		// redelivered record does nothing; one record per invocation, as a
		// large org's build takes the function's time.
		Name:           exportjob.Name,
		Filter:         Filter{EventNames: []string{"INSERT"}, ItemTypes: []string{ddb.TypeExport}},
		BatchSize:      1,
		MaxRetries:     exportjob.MaxAttempts,
		Writes:         true,
		WritesExports:  true,
		MemoryMB:       1024,
		TimeoutSeconds: 300,
		New:            BuildExport,
	},
	{
		// Monthly usage: projects created (INSERT) and deleted (REMOVE),
		// members joined, charges, and each key's admitted and refused
		// requests from its metered rate window (budget refusals from its
		// spend). Each record is counted once (a guard per event id in the
		// same transaction), so redelivery adds nothing.
		Name:   usagestream.Name,
		Filter: Filter{EventNames: []string{"INSERT"}, ItemTypes: []string{ddb.TypeProject, ddb.TypeMember, ddb.TypeLedgerEntry}},
		MoreFilters: []Filter{
			{EventNames: []string{"INSERT", "MODIFY"}, ItemTypes: []string{ddb.TypeRateWindow, ddb.TypeKeySpend}},
			{EventNames: []string{"REMOVE"}, ItemTypes: []string{ddb.TypeProject}},
		},
		// A window changes on every request: large batches keep the
		// transactions per request few (one per org and month per batch).
		BatchSize:       100,
		Writes:          true,
		WritePartitions: ddb.UsageWritePartitions,
		New:             CountUsage,
	},
}

// The constructors of the lists' functions. Each is a named top-level
// function: a function's generated main calls its own by name, so its
// binary links that consumer or job alone (a closure in a list would
// link every one into every binary); infra/gen refuses any other New.

// CreateWallet builds the create-wallet consumer.
func CreateWallet(d Deps) StreamHandler { return walletstream.Handler(d.Store) }

// SendInvitation builds the send-invitation consumer.
func SendInvitation(d Deps) StreamHandler {
	c := &invitemail.Consumer{Store: d.Store, Mail: d.Mail, Secret: d.InviteSecret, AppURL: d.AppURL}
	return c.Handler()
}

// SendBillingEmail builds the send-billing-email consumer.
func SendBillingEmail(d Deps) StreamHandler {
	return (&billingmail.Consumer{Store: d.Store, Mail: d.Mail, AppURL: d.AppURL}).Handler()
}

// BuildExport builds the build-export consumer.
func BuildExport(d Deps) StreamHandler {
	return (&exportjob.Builder{Store: d.Store, Bucket: d.Exports, Now: d.Now}).Handler()
}

// CountUsage builds the count-usage consumer.
func CountUsage(d Deps) StreamHandler {
	return (&usagestream.Consumer{Store: d.Store, Now: d.Now}).Handler()
}

// StopIdleApps builds the stop-idle-apps job.
func StopIdleApps(d Deps) ScheduleHandler {
	return (&autostop.Job{Store: d.Store, IdleTimeout: d.IdleTimeout, Now: d.Now}).Handle
}

// RenewSubscriptions builds the renew-subscriptions job.
func RenewSubscriptions(d Deps) ScheduleHandler {
	return (&renewal.Job{Store: d.Store, Period: d.BillingPeriod, Now: d.Now}).Handle
}

// Schedules is every scheduled job of Orgplane.
var Schedules = []Schedule{
	// Stops app instances idle longer than APP_IDLE_TIMEOUT. A run that
	// nears its timeout stops early and the next run resumes; overlapping
	// runs are safe (every stop is conditional).
	{Name: autostop.Name, Every: 5 * time.Minute, RateContext: "idleCheckRate", Writes: true, TimeoutSeconds: 120,
		New: StopIdleApps},
	// Charges the subscriptions whose period ended, applies scheduled
	// downgrades and ends lapsed graces. Each step is conditional on the
	// subscription as read, so overlapping runs and retries charge a
	// period once.
	{Name: renewal.Name, Every: 15 * time.Minute, RateContext: "renewalRate", Writes: true, TimeoutSeconds: 300,
		New: RenewSubscriptions},
}
