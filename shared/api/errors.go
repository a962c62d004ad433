package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/orgplane/orgplane/shared/credits"
	"github.com/orgplane/orgplane/shared/ddb"
	"github.com/orgplane/orgplane/shared/problem"
)

// storeProblems says what each of the store's domain errors means to a
// client. Handlers that know more (the slug, the email, the amount) say it
// before falling back to this table.
var storeProblems = map[error]*problem.Error{
	ddb.ErrNoFreeSlug:          problem.New(problem.SlugTaken, "No free slug could be derived; choose one."),
	ddb.ErrSlugTaken:           problem.New(problem.SlugTaken, "The slug is taken."),
	ddb.ErrSlugMismatch:        problem.Field("confirm_slug", "must equal the organization's slug"),
	ddb.ErrActorChanged:        problem.New(problem.Conflict, "Your own role changed; retry."),
	ddb.ErrLastOwner:           problem.New(problem.LastOwner, "An organization must keep at least one active owner."),
	ddb.ErrAlreadyMember:       problem.New(problem.AlreadyMember, "This email belongs to a member already."),
	ddb.ErrEmailInvited:        problem.New(problem.Conflict, "An invitation to this email is pending; resend it instead."),
	ddb.ErrActiveOrgChanged:    problem.New(problem.Conflict, "Your active organization changed; set it again first."),
	ddb.ErrInviterVoid:         problem.New(problem.Gone, "Whoever sent this invitation can no longer grant it; ask for a new one."),
	ddb.ErrEmailGuardLost:      problem.New(problem.Conflict, "This invitation no longer holds its email; ask for a new one."),
	ddb.ErrNoWallet:            problem.New(problem.Conflict, "The organization has no wallet yet; POST its wallet to open it."),
	ddb.ErrInsufficientCredits: problem.New(problem.InsufficientCredit, "The wallet's balance is too low."),
	ddb.ErrBalanceCeiling:      problem.New(problem.Conflict, "The top-up would take the balance above %d credits.", credits.MaxBalance),
	ddb.ErrIdempotencyMismatch: problem.New(problem.IdempotencyReuse, "This Idempotency-Key was used for a different request; use a new key."),
	ddb.ErrAppBusy:             problem.New(problem.Conflict, "The app is changing right now; try again."),
	ddb.ErrRoleNameTaken:       problem.New(problem.RoleNameTaken, "Another role of this organization has that name."),
	ddb.ErrRolesChanged:        problem.New(problem.Conflict, "The organization's roles changed while you acted; read them again and retry."),
	ddb.ErrPrivateApp:          problem.New(problem.Forbidden, "This app is private: using it takes the permission apps:manage."),
	ddb.ErrAppUnpaid:           problem.New(problem.InsufficientCredit, "The app is stopped until its charge is paid; top up the wallet and it starts."),
	ddb.ErrExportInProgress:    problem.New(problem.ExportInProgress, "An export is already being built; wait for it to finish."),
}

// transientRetryAfter is the Retry-After of a 503 for a transient store
// fault: DynamoDB's throttling and lock contention clear within a second
// or so, and the SDK and the store have retried already.
const transientRetryAfter = time.Second

// storeError turns a store error into the problem a client sees; what
// names the resource the request is about ("Project"). Errors that are not
// the store's pass through.
func storeError(err error, what string) error {
	var quota ddb.QuotaError
	var status ddb.InvitationStatusError
	var inUse ddb.RoleInUseError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ddb.ErrNotFound):
		return problem.NotFoundf(what)
	case ddb.Transient(err):
		// Throttling, a 5xx, a timeout, or a transaction that kept losing
		// to concurrent ones (ErrContention) after the SDK's and the
		// store's retries: 503 with Retry-After, which clients and proxies
		// retry by themselves. Contention is no 409: nothing about the
		// request or the resource needs changing, only a moment's wait.
		return &problem.Error{Code: problem.Unavailable, RetryAfter: transientRetryAfter,
			Detail: "The database could not serve this request just now; retry after Retry-After seconds."}
	case errors.Is(err, ddb.ErrBadPosition):
		return invalidCursor()
	case errors.Is(err, ddb.ErrVersionConflict):
		return problem.New(problem.VersionConflict, "The %s changed since you read it; read it again.", strings.ToLower(what))
	case errors.As(err, &quota):
		resource := quota.Resource
		if resource == "members" {
			resource = "members (pending invitations count as members)"
		}
		return problem.New(problem.QuotaExceeded, "The organization's plan allows no more %s; upgrade the plan or remove some.", resource)
	case errors.As(err, &inUse):
		return &problem.Error{Code: problem.RoleInUse,
			Detail:     "The role is still held; move its holders with ?reassign_to=<role> or change them first.",
			Extensions: map[string]any{"member_count": inUse.Members, "invitation_count": inUse.Invitations}}
	case errors.As(err, &status):
		if status.Status == ddb.Superseded {
			return problem.New(problem.Gone, "This invitation was superseded by a newer invitation email and can no longer be used.")
		}
		return problem.New(problem.Gone, "This invitation is %s and can no longer be used.", status.Status)
	}
	for domain, p := range storeProblems {
		if errors.Is(err, domain) {
			return p
		}
	}
	return err
}

// problemBody is RFC 9457 problem+json with Orgplane's stable code.
type problemBody struct {
	Type   string               `json:"type"`
	Title  string               `json:"title"`
	Status int                  `json:"status"`
	Detail string               `json:"detail"`
	Code   problem.Code         `json:"code"`
	Errors []problem.FieldError `json:"errors,omitempty"`
}

// WriteProblem renders err as problem+json. Errors that are not
// *problem.Error are logged with their cause and shown to the client only
// as "internal error".
func WriteProblem(w http.ResponseWriter, r *http.Request, err error) {
	pe, ok := problem.As(err)
	if !ok {
		// The route pattern, not the path: invitation tokens ride in paths.
		slog.ErrorContext(r.Context(), "internal error", "route", r.Pattern, "err", err)
		pe = &problem.Error{Code: problem.Internal, Detail: "internal error"}
	}
	status := pe.Status()
	if pe.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((pe.RetryAfter+time.Second-1)/time.Second)))
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	body := problemBody{
		Type:   "https://orgplane.dev/problems/" + string(pe.Code),
		Title:  http.StatusText(status),
		Status: status,
		Detail: pe.Detail,
		Code:   pe.Code,
		Errors: pe.Fields,
	}
	if len(pe.Extensions) == 0 {
		_ = json.NewEncoder(w).Encode(body)
		return
	}
	// Extension members sit beside the standard ones, which they never
	// replace.
	out := maps.Clone(pe.Extensions)
	std, _ := json.Marshal(body)
	var members map[string]any
	_ = json.Unmarshal(std, &members)
	maps.Copy(out, members)
	_ = json.NewEncoder(w).Encode(out)
}
