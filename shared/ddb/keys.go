package ddb

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgplane/orgplane/shared/email"
)

// The item layout: every key of the table is built here, and nowhere else
// spells a key prefix. An org's data lives under ORG#<id>; its append-only
// streams (ledger, app log) in partitions of their own beside it, so the
// org partition stays small and cool.
//
//	item              PK                          SK                          also
//	organization      ORG#<org>                   ORG                         counters beside the plan's limits
//	slug guard        SLUG#<slug>                 SLUG                        written with the org
//	membership        ORG#<org>                   MEMBER#<user>               GSI1 USER#<user> / ORG#<org>
//	email guard       ORG#<org>                   EMAIL#<email>               owner: the member or invitation
//	user              USER#<user>                 PROFILE
//	project           ORG#<org>                   PROJECT#<prj>               GSI1 ORG#<org>#PROJECTS / <name>#<prj>,
//	                                                                          GSI2 ORG#<org>#PROJECTS / <updated>#<prj>
//	invitation        ORG#<org>                   INVITE#<inv>                ttl once closed; names its token lookup
//	token lookup      INVITE#<sha256(token)>      TOKEN                       ttl
//	send request      ORG#<org>                   INVITEMAIL#<inv>#<nonce>    ttl; the send-invitation consumer's input
//	role name guard   ORG#<org>                   ROLENAME#<name>             owner: the custom role (roles live on the org item)
//	API key           ORG#<org>                   APIKEY#<key>                metadata; names its lookups (lookup_pk, prev_lookup_pk)
//	key lookup        APIKEY#<sha256(secret)>     KEY                         what authentication needs; ttl once revoked or rotated out
//	key spend         ORG#<org>                   KEYSPEND#<key>#<period>     an agent key's credits charged in a budget period; ttl
//	rate window       RL#<key>                    <policy>#<window start>     requests counted in a fixed window; ttl
//	wallet            ORG#<org>                   WALLET                      balance, version
//	ledger entry      ORG#<org>#LEDGER            TXN#<ulid>                  append-only
//	idempotency key   ORG#<org>#LEDGER            IDEM#<sha256(key)>          ttl
//	app instance      ORG#<org>                   APP#<app>                   GSI2 RUNNING#<shard> / <last active>#<app> while running
//	app log entry     ORG#<org>#APPLOG            <app>#<time>#<ulid>         ttl
//	subscription      ORG#<org>                   SUBSCRIPTION                GSI2 RENEWAL#<yyyy-mm-dd> / <due>#<org> while a renewal is due
//	billing notice    ORG#<org>                   NOTICE#<event>              ttl; a billing email's claim and sent-marker
//	app billing       ORG#<org>                   APPBILL#<app>               GSI2 RENEWAL#<yyyy-mm-dd> / <due>#<org>#<app> while a charge is due
//	activity event    ORG#<org>#ACTIVITY          <evt id>                    ttl 400 days; written by the change it records
//	export job        ORG#<org>                   EXPORT#<exp>                ttl 7 days; an org's GDPR export (the file is in the export bucket)
//	activity export   ORG#<org>                   ACTIVITYEXPORT#<exp>        ttl 7 days; the filtered activity as CSV or JSON Lines
//	export lock       ORG#<org> | USER#<user>     EXPORTLOCK                  the one export being built for the org or person; ttl
//	personal export   USER#<user>                 EXPORT#<exp>                ttl 7 days; a person's own data across their orgs
//	monthly usage     ORG#<org>#USAGE             <yyyy-mm>                   counters, fed by the usage stream consumer; ttl
//	active key mark   ORG#<org>#USAGE             KEY#<yyyy-mm>#<key>         the key is counted among the month's active keys; ttl
//	usage guard       USAGEEVT#<stream event id>  GUARD                       the stream record was counted; ttl
//
// Items that own a lookup item elsewhere (an invitation's token lookup)
// name it in lookup_pk/lookup_sk, so deleting an org finds every lookup
// without knowing item types.

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"PK": str(pk), "SK": str(sk)}
}

// warmKey names no item: Warm reads it to open a connection.
func warmKey() map[string]types.AttributeValue { return key("WARM", "WARM") }

func orgPK(org string) string         { return "ORG#" + org }
func userPK(user string) string       { return "USER#" + user }
func slugPK(slug string) string       { return "SLUG#" + slug }
func projectListPK(org string) string { return "ORG#" + org + "#PROJECTS" }
func ledgerPK(org string) string      { return "ORG#" + org + "#LEDGER" }
func appLogPK(org string) string      { return "ORG#" + org + "#APPLOG" }
func activityPK(org string) string    { return "ORG#" + org + "#ACTIVITY" }
func usagePK(org string) string       { return "ORG#" + org + "#USAGE" }

// sidePartitions are the org's append-only partitions beside ORG#<org>,
// which deleting the org purges first.
func sidePartitions(org string) []string {
	return []string{ledgerPK(org), appLogPK(org), activityPK(org), usagePK(org)}
}

const (
	orgSK     = "ORG"
	slugSK    = "SLUG"
	profileSK = "PROFILE"
	walletSK  = "WALLET"
	tokenSK   = "TOKEN"

	subscriptionSK = "SUBSCRIPTION"
)

// Sort keys under ORG#<org>; each with "" is its list's prefix. An email
// guard's key is the address as package email normalized it, byte for
// byte: the store never folds case itself. Addresses in domain values
// (User.Email, Member.Email, Invitation.Email) were normalized where they
// entered (the token's email, the invite request) and are stored as such.
func memberSK(user string) string                { return "MEMBER#" + user }
func emailSK(a email.Address) string             { return "EMAIL#" + string(a) }
func projectSK(project string) string            { return "PROJECT#" + project }
func invitationSK(inv string) string             { return "INVITE#" + inv }
func invitationEmailSK(inv, nonce string) string { return "INVITEMAIL#" + inv + "#" + nonce }
func appSK(app string) string                    { return "APP#" + app }
func roleNameSK(name string) string              { return "ROLENAME#" + lower(name) }
func apiKeySK(key string) string                 { return "APIKEY#" + key }
func noticeSK(event string) string               { return "NOTICE#" + event }
func appBillingSK(app string) string             { return "APPBILL#" + app }

func orgKey(org string) map[string]types.AttributeValue { return key(orgPK(org), orgSK) }
func memberKey(org, user string) map[string]types.AttributeValue {
	return key(orgPK(org), memberSK(user))
}
func walletKey(org string) map[string]types.AttributeValue   { return key(orgPK(org), walletSK) }
func profileKey(user string) map[string]types.AttributeValue { return key(userPK(user), profileSK) }
func subscriptionKey(org string) map[string]types.AttributeValue {
	return key(orgPK(org), subscriptionSK)
}

// Subscriptions due for renewal on GSI2, one partition per day of the due
// time, in due order within it (see DueRenewals).
func renewalPK(due time.Time) string             { return "RENEWAL#" + due.UTC().Format("2006-01-02") }
func renewalSK(due time.Time, org string) string { return sortableStamp(due) + "#" + org }

// A user's memberships on GSI1.
func membershipGSI1SK(org string) string { return "ORG#" + org }

// Projects by name and by last update, on GSI1 and GSI2.
func projectNameSK(name, id string) string       { return lower(name) + "#" + id }
func projectUpdatedSK(updated, id string) string { return updated + "#" + id }

// The token lookup of an invitation, by the hash of its token.
func inviteTokenPK(hash string) string { return "INVITE#" + hash }

// An API key's lookup, by the hash of a secret; its spend per budget
// period; its rate-limit windows.
func keyLookupPK(hash string) string { return "APIKEY#" + hash }
func keySpendSK(key string, period time.Time) string {
	return "KEYSPEND#" + key + "#" + period.UTC().Format("2006-01-02")
}
func rateWindowPK(key string) string { return "RL#" + key }

// keySpendOf reads a key spend's sort key back: its key and period.
func keySpendOf(sk string) (key string, period time.Time, ok bool) {
	rest, ok := strings.CutPrefix(sk, "KEYSPEND#")
	i := strings.LastIndex(rest, "#")
	if !ok || i < 0 {
		return "", time.Time{}, false
	}
	period, err := time.Parse("2006-01-02", rest[i+1:])
	return rest[:i], period, err == nil
}

// rateWindowStart reads a rate window's sort key back: its start.
func rateWindowStart(sk string) (time.Time, bool) {
	_, start, ok := strings.Cut(sk, "#")
	sec, err := strconv.ParseInt(start, 10, 64)
	return time.Unix(sec, 0).UTC(), ok && err == nil
}
func rateWindowSK(policy string, start time.Time) string {
	return policy + "#" + strconv.FormatInt(start.Unix(), 10)
}

// KeyUsePartitions are the partitions (as IAM dynamodb:LeadingKeys
// patterns) that serving an API key's request writes, even on a read-only
// route: its rate-limit windows and its lookup's last use.
var KeyUsePartitions = []string{"RL#*", "APIKEY#*"}

// UsagePartitions are the partitions (as dynamodb:LeadingKeys patterns)
// the usage stream consumer writes: the orgs' usage and the guards.
var UsagePartitions = []string{"ORG#*#USAGE", "USAGEEVT#*"}

// UsageWritePartitions returns UsagePartitions (for triggers' static list).
func UsageWritePartitions() []string { return UsagePartitions }

// orgPartitions are every table partition that holds an org's data (its
// GDPR export reads them all; a new partition of the org goes here).
func orgPartitions(org string) []string {
	return []string{orgPK(org), ledgerPK(org), appLogPK(org), activityPK(org), usagePK(org)}
}

// Export jobs: an org's under its partition (GDPR and activity exports
// apart, so each lists alone), a person's under theirs; the lock beside
// them holds the one export being built.
func orgExportSK(exp string) string      { return "EXPORT#" + exp }
func activityExportSK(exp string) string { return "ACTIVITYEXPORT#" + exp }
func userExportSK(exp string) string     { return "EXPORT#" + exp }

const exportLockSK = "EXPORTLOCK"

// An activity event's sort key is its id, which sorts by time.
func activitySK(event string) string { return event }

// The ledger partition's items.
func ledgerEntrySK(ulid string) string    { return "TXN#" + ulid }
func idempotencySK(keyHash string) string { return "IDEM#" + keyHash }

// Monthly usage: a month's counters sort as "2006-01", before every
// active key mark ("KEY#…"), so a range of months is one Query. A stream
// record's guard has a partition of its own: guards are written at the
// rate of the stream and hold nothing of the org.
func activeKeySK(month, key string) string { return "KEY#" + month + "#" + key }
func usageGuardPK(eventID string) string   { return "USAGEEVT#" + eventID }

const usageGuardSK = "GUARD"

// Running app instances on GSI2, sharded (see RunningShards).
func runningPK(shard int) string                { return fmt.Sprintf("RUNNING#%02d", shard) }
func runningSK(lastActive, appID string) string { return lastActive + "#" + appID }

// An app's lifecycle log entries, in time order within the app.
func appLogSK(app string, at time.Time, ulid string) string {
	return appLogPrefix(app) + sortableStamp(at) + "#" + ulid
}

func appLogPrefix(app string) string { return app + "#" }

// Item types (the `type` attribute on every item; stream filters use it).
const (
	TypeOrganization    = "organization"
	TypeSlugGuard       = "slug_guard"
	TypeMember          = "member"
	TypeEmailGuard      = "email_guard"
	TypeRoleNameGuard   = "role_name_guard"
	TypeAPIKey          = "api_key"
	TypeAPIKeyLookup    = "api_key_lookup"
	TypeKeySpend        = "api_key_spend"
	TypeRateWindow      = "rate_window"
	TypeUser            = "user"
	TypeProject         = "project"
	TypeInvitation      = "invitation"
	TypeInvitationToken = "invitation_token"
	TypeInvitationEmail = "invitation_email"
	TypeWallet          = "wallet"
	TypeLedgerEntry     = "ledger_entry"
	TypeIdempotencyKey  = "idempotency_key"
	TypeApp             = "app"
	TypeAppEvent        = "app_event"
	TypeSubscription    = "subscription"
	TypeBillingNotice   = "billing_notice"
	TypeAppBilling      = "app_billing"
	TypeActivity        = "activity"
	TypeExport          = "export"
	TypeExportLock      = "export_lock"
	TypeUsageMonth      = "usage_month"
	TypeActiveKeyMark   = "usage_active_key"
	TypeUsageGuard      = "usage_guard"
)

// Attributes by which an item names a lookup item it owns elsewhere (an
// API key in a rotation's grace names two).
const (
	lookupPKAttr     = "lookup_pk"
	lookupSKAttr     = "lookup_sk"
	prevLookupPKAttr = "prev_lookup_pk"
	prevLookupSKAttr = "prev_lookup_sk"
)
