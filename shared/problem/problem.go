// Package problem owns Orgplane's one application error type and its
// rendering as RFC 9457 problem+json. Every handler returns *problem.Error
// (or any error, which becomes an opaque 500); nothing else writes errors.
package problem

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
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
	QuotaExceeded      Code = "quota_exceeded"
	LastOwner          Code = "last_owner"
	RoleInUse          Code = "role_in_use"
	IdempotencyReuse   Code = "idempotency_mismatch"
	Gone               Code = "gone"
	VersionConflict    Code = "version_conflict"
	InsufficientCredit Code = "insufficient_credits"
	TooLarge           Code = "payload_too_large"
	UnsupportedMedia   Code = "unsupported_media_type"
	RateLimited        Code = "rate_limited"
	Internal           Code = "internal"
)

var statusOf = map[Code]int{
	Invalid:            http.StatusBadRequest,
	BadRequest:         http.StatusBadRequest,
	InvalidCursor:      http.StatusBadRequest,
	Unauthenticated:    http.StatusUnauthorized,
	InsufficientCredit: http.StatusPaymentRequired,
	Forbidden:          http.StatusForbidden,
	NotFound:           http.StatusNotFound,
	MethodNotAllowed:   http.StatusMethodNotAllowed,
	Conflict:           http.StatusConflict,
	SlugTaken:          http.StatusConflict,
	AlreadyMember:      http.StatusConflict,
	QuotaExceeded:      http.StatusConflict,
	LastOwner:          http.StatusConflict,
	RoleInUse:          http.StatusConflict,
	IdempotencyReuse:   http.StatusConflict,
	Gone:               http.StatusGone,
	VersionConflict:    http.StatusPreconditionFailed,
	TooLarge:           http.StatusRequestEntityTooLarge,
	UnsupportedMedia:   http.StatusUnsupportedMediaType,
	RateLimited:        http.StatusTooManyRequests,
	Internal:           http.StatusInternalServerError,
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

type body struct {
	Type   string       `json:"type"`
	Title  string       `json:"title"`
	Status int          `json:"status"`
	Detail string       `json:"detail"`
	Code   Code         `json:"code"`
	Errors []FieldError `json:"errors,omitempty"`
}

// Write renders err as problem+json. Errors that are not *Error are logged
// with their cause and shown to the client only as "internal error".
func Write(w http.ResponseWriter, r *http.Request, err error) {
	pe, ok := As(err)
	if !ok {
		// The route pattern, not the path: invitation tokens ride in paths.
		slog.ErrorContext(r.Context(), "internal error", "route", r.Pattern, "err", err)
		pe = &Error{Code: Internal, Detail: "internal error"}
	}
	status := pe.Status()
	if pe.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((pe.RetryAfter+time.Second-1)/time.Second)))
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body{
		Type:   "https://orgplane.dev/problems/" + string(pe.Code),
		Title:  http.StatusText(status),
		Status: status,
		Detail: pe.Detail,
		Code:   pe.Code,
		Errors: pe.Fields,
	})
}
