// Package problem owns Orgplane's one application error type: a stable
// code, a detail safe to show, field errors, and the HTTP status of each
// code. Package api renders it as RFC 9457 problem+json; any other error
// becomes an opaque 500 there.
package problem

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Code is a stable, documented error code clients may switch on.
type Code string

const (
	Invalid            Code = "validation_failed"
	BadRequest         Code = "bad_request"
	InvalidCursor      Code = "invalid_cursor"
	Unauthenticated    Code = "unauthenticated"
	Forbidden          Code = "forbidden"
	NotFound           Code = "not_found"
	MethodNotAllowed   Code = "method_not_allowed"
	Conflict           Code = "conflict"
	SlugTaken          Code = "slug_taken"
	AlreadyMember      Code = "already_member"
	UnknownRole        Code = "unknown_role"
	RoleLevelTooHigh   Code = "role_level_too_high"
	PermissionNotHeld  Code = "permission_not_held"
	RoleInUse          Code = "role_in_use"
	RoleNameTaken      Code = "role_name_taken"
	APIKeyInvalid      Code = "api_key_invalid"
	APIKeyRevoked      Code = "api_key_revoked"
	APIKeyExpired      Code = "api_key_expired"
	InsufficientScope  Code = "insufficient_scope"
	RateLimited        Code = "rate_limited"
	BudgetExceeded     Code = "agent_budget_exceeded"
	QuotaExceeded      Code = "quota_exceeded"
	LastOwner          Code = "last_owner"
	IdempotencyReuse   Code = "idempotency_mismatch"
	Gone               Code = "gone"
	VersionConflict    Code = "version_conflict"
	InsufficientCredit Code = "insufficient_credits"
	PlanLimitsExceeded Code = "plan_limits_exceeded"
	OverLimit          Code = "over_limit"
	PastDue            Code = "past_due"
	ExportInProgress   Code = "export_in_progress"
	TooLarge           Code = "payload_too_large"
	UnsupportedMedia   Code = "unsupported_media_type"
	Internal           Code = "internal"
	// Unavailable: DynamoDB could not serve the request just now
	// (throttling, a transaction that kept conflicting, a 5xx, a timeout);
	// the same request may succeed after Retry-After.
	Unavailable Code = "service_unavailable"
)

var statusOf = map[Code]int{
	Invalid:            http.StatusBadRequest,
	BadRequest:         http.StatusBadRequest,
	InvalidCursor:      http.StatusBadRequest,
	Unauthenticated:    http.StatusUnauthorized,
	InsufficientCredit: http.StatusPaymentRequired,
	PlanLimitsExceeded: http.StatusConflict,
	OverLimit:          http.StatusConflict,
	PastDue:            http.StatusConflict,
	ExportInProgress:   http.StatusConflict,
	Forbidden:          http.StatusForbidden,
	NotFound:           http.StatusNotFound,
	MethodNotAllowed:   http.StatusMethodNotAllowed,
	Conflict:           http.StatusConflict,
	SlugTaken:          http.StatusConflict,
	AlreadyMember:      http.StatusConflict,
	UnknownRole:        http.StatusBadRequest,
	RoleLevelTooHigh:   http.StatusForbidden,
	PermissionNotHeld:  http.StatusForbidden,
	RoleInUse:          http.StatusConflict,
	RoleNameTaken:      http.StatusConflict,
	APIKeyInvalid:      http.StatusUnauthorized,
	APIKeyRevoked:      http.StatusUnauthorized,
	APIKeyExpired:      http.StatusUnauthorized,
	InsufficientScope:  http.StatusForbidden,
	RateLimited:        http.StatusTooManyRequests,
	BudgetExceeded:     http.StatusPaymentRequired,
	QuotaExceeded:      http.StatusConflict,
	LastOwner:          http.StatusConflict,
	IdempotencyReuse:   http.StatusConflict,
	Gone:               http.StatusGone,
	VersionConflict:    http.StatusPreconditionFailed,
	TooLarge:           http.StatusRequestEntityTooLarge,
	UnsupportedMedia:   http.StatusUnsupportedMediaType,
	Internal:           http.StatusInternalServerError,
	Unavailable:        http.StatusServiceUnavailable,
}

// FieldError names one invalid request field.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is the application error. Detail is safe to show to clients.
type Error struct {
	Code       Code
	Detail     string
	Fields     []FieldError
	RetryAfter time.Duration
	// Extensions are further members of the problem object (RFC 9457
	// §3.2), such as unheld_permissions; they never hold a secret.
	Extensions map[string]any
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Detail }

// Status is the HTTP status for the error's code.
func (e *Error) Status() int {
	if s, ok := statusOf[e.Code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// New builds an error with a formatted detail.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Detail: fmt.Sprintf(format, args...)}
}

// Field builds a validation error for one field.
func Field(field, message string) *Error {
	return &Error{Code: Invalid, Detail: "The request has invalid fields.", Fields: []FieldError{{Field: field, Message: message}}}
}

// Fields builds a validation error from several field errors; nil when none.
func Fields(fields []FieldError) error {
	if len(fields) == 0 {
		return nil
	}
	return &Error{Code: Invalid, Detail: "The request has invalid fields.", Fields: fields}
}

// NotFoundf is the 404 used for unknown resources and for orgs the caller
// cannot see alike, so the two are indistinguishable.
func NotFoundf(what string) *Error { return New(NotFound, "%s not found.", what) }

// As returns the *Error inside err, if any.
func As(err error) (*Error, bool) {
	var pe *Error
	ok := errors.As(err, &pe)
	return pe, ok
}

// Is reports whether err carries the given code.
func Is(err error, code Code) bool {
	pe, ok := As(err)
	return ok && pe.Code == code
}
