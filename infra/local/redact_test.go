package main

import "testing"

func TestRedactToken(t *testing.T) {
	for in, want := range map[string]string{
		"/invitations/AbC-123_x":                 "/invitations/{token}",
		"/invitations/AbC-123_x/accept":          "/invitations/{token}/accept",
		"/organizations/org_1/invitations/inv_1": "/organizations/org_1/invitations/inv_1",
		"/me":                                    "/me",
	} {
		if got := redactToken(in); got != want {
			t.Errorf("redactToken(%q) = %q, want %q", in, got, want)
		}
	}
}
