package api

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// reply writes v as JSON with the status, once the call is admitted.
func (c *call) reply(status int, v any) error {
	if err := c.admit(); err != nil {
		return err
	}
	c.w.Header().Set("Content-Type", "application/json")
	c.w.Header().Set("Cache-Control", "no-store")
	c.w.WriteHeader(status)
	return json.NewEncoder(c.w).Encode(v)
}

// replyVersioned writes v with an ETag for its version.
func (c *call) replyVersioned(status int, version int64, v any) error {
	if err := c.admit(); err != nil {
		return err
	}
	c.w.Header().Set("ETag", etag(version))
	return c.reply(status, v)
}

// noContent writes 204; the Lambda adapter turns a handler that writes
// nothing into a 504, so every handler writes a status.
func (c *call) noContent() error {
	if err := c.admit(); err != nil {
		return err
	}
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

func etag(version int64) string { return `"` + strconv.FormatInt(version, 10) + `"` }

// list is the envelope of every list response.
type list[T any] struct {
	Data       []T     `json:"data"`
	NextCursor *string `json:"next_cursor"`
}

func listOf[T any](data []T, next string) list[T] {
	if data == nil {
		data = []T{}
	}
	l := list[T]{Data: data}
	if next != "" {
		l.NextCursor = &next
	}
	return l
}
