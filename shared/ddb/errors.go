package ddb

import (
	"errors"
	"fmt"
	"net"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"

	"github.com/orgplane/orgplane/shared/billing"
)

// The store's domain errors. They say what happened to the data; package
// api chooses the status, code and words a client sees.
var (
	// ErrNotFound: the item does not exist (or its org is gone or deleting).
	ErrNotFound = errors.New("ddb: not found")
	// ErrBadPosition: a list position that does not fit the list (a
	// cursor from another list that still carried a valid signature).
	ErrBadPosition = errors.New("ddb: position does not fit this list")
	// ErrContention: the transaction kept losing to concurrent ones.
	ErrContention = errors.New("ddb: the transaction kept conflicting with concurrent changes")
	// ErrThrottled: a batch read or write kept coming back unprocessed.
	ErrThrottled = errors.New("ddb: DynamoDB kept leaving the batch unprocessed")

	ErrSlugTaken        = errors.New("ddb: slug taken")
	ErrNoFreeSlug       = errors.New("ddb: no free slug could be derived")
	ErrSlugMismatch     = errors.New("ddb: the confirmation is not the org's slug")
	ErrVersionConflict  = errors.New("ddb: the item changed since it was read")
	ErrActorChanged     = errors.New("ddb: the acting member's role or status changed")
	ErrLastOwner        = errors.New("ddb: the org would lose its last active owner")
	ErrAlreadyMember    = errors.New("ddb: the email belongs to a member")
	ErrEmailInvited     = errors.New("ddb: an open invitation holds the email")
	ErrActiveOrgChanged = errors.New("ddb: the user's active org changed")

	// Roles.
	ErrRoleNameTaken = errors.New("ddb: another role of the org has the name")
	ErrRolesChanged  = errors.New("ddb: the org's roles changed since they were read")

	// Invitations.
	ErrInviterVoid    = errors.New("ddb: the invitation's sender can no longer grant it")
	ErrEmailGuardLost = errors.New("ddb: the invitation no longer holds its email")
	ErrClaimLost      = errors.New("ddb: the send request's claim expired before it was marked sent")

	// Wallet.
	ErrNoWallet            = errors.New("ddb: the org has no wallet")
	ErrInsufficientCredits = errors.New("ddb: the balance is short")
	ErrBalanceCeiling      = errors.New("ddb: the balance would pass its ceiling")
	ErrIdempotencyMismatch = errors.New("ddb: the idempotency key was used for another request")

	// API keys.
	ErrBudgetExceeded = errors.New("ddb: the agent key's credit budget for the period is spent")

	// Apps.
	ErrAppBusy    = errors.New("ddb: the app kept changing under a lifecycle change")
	ErrPrivateApp = errors.New("ddb: the app is private")
	// ErrAppUnpaid: the app is stopped until its failed charge is paid.
	ErrAppUnpaid = errors.New("ddb: the app is stopped unpaid")

	// ErrQuotaExceeded is matched by every QuotaError.
	ErrQuotaExceeded = errors.New("ddb: quota exceeded")
)

// QuotaError: the org's plan allows no more of a resource.
type QuotaError struct {
	Resource string // members, projects, apps
}

func (e QuotaError) Error() string        { return "ddb: quota exceeded: " + e.Resource }
func (e QuotaError) Is(target error) bool { return target == ErrQuotaExceeded }

// InvitationStatusError: the invitation is not open, so it cannot be used,
// revoked or resent. Status is its status, or Superseded for a token that a
// resend replaced.
type InvitationStatusError struct {
	Status string
}

// Superseded is the status of a token whose invitation was sent again.
const Superseded = "superseded"

func (e InvitationStatusError) Error() string {
	return fmt.Sprintf("ddb: the invitation is %s", e.Status)
}

// Transient reports whether err is DynamoDB being briefly unable to serve
// (throttling, a transaction that kept conflicting, a 5xx, a timeout) after
// the SDK's own retries: the same request may well succeed a moment later.
func Transient(err error) bool {
	if errors.Is(err, ErrContention) || errors.Is(err, ErrThrottled) {
		return true
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "ThrottlingException", "ProvisionedThroughputExceededException", "RequestLimitExceeded",
			"InternalServerError", "ServiceUnavailable", "TransactionConflictException", "TransactionInProgressException":
			return true
		}
	}
	var resp *awshttp.ResponseError
	if errors.As(err, &resp) && resp.HTTPStatusCode() >= 500 {
		return true
	}
	var netErr net.Error
	return errors.As(err, &netErr) && netErr.Timeout()
}

// ShortError: a charge found the wallet short; it matches
// ErrInsufficientCredits. Balance is the wallet's as the charge saw it.
type ShortError struct {
	Required, Balance int64
}

func (e ShortError) Error() string {
	return fmt.Sprintf("ddb: the balance %d is short of %d", e.Balance, e.Required)
}
func (e ShortError) Is(target error) bool { return target == ErrInsufficientCredits }

// Subscriptions.
var (
	// ErrPastDue: the subscription's renewal is unpaid; a top-up settles it.
	ErrPastDue = errors.New("ddb: the subscription is past due")
	// ErrSubscriptionChanged: a concurrent change to the subscription won.
	ErrSubscriptionChanged = errors.New("ddb: the subscription changed meanwhile")
)

// PlanLimitsError: the org uses more than the plan it would move to
// allows; Violations lists every resource over its limit.
type PlanLimitsError struct {
	Violations []billing.Measure
}

func (e PlanLimitsError) Error() string { return "ddb: usage exceeds the plan's limits" }
