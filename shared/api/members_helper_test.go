package api_test

import (
	"context"
	"testing"
)

// addMember makes the user with email a member of org with role, going
// through /me first so the user exists as a real first request makes it.
func (e *env) addMember(t *testing.T, org, email, role string) string {
	t.Helper()
	e.must(t, 200, email, "GET", "/me", nil)
	u, err := e.store.GetUser(context.Background(), userID(email))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.AddMember(context.Background(), org, u, role); err != nil {
		t.Fatalf("add %s to %s as %s: %v", email, org, role, err)
	}
	return u.ID
}
