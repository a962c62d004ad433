package api

import (
	"net/http"
	"slices"
	"strings"

	"github.com/orgplane/orgplane/shared/orgs"
	"github.com/orgplane/orgplane/shared/problem"
)

// notificationsView is a member's email choices: every category with
// whether they receive it, and the categories their role may not turn off.
type notificationsView struct {
	Email  map[string]bool `json:"email"`
	Locked []string        `json:"locked"`
}

func viewNotifications(m orgs.Member) notificationsView {
	v := notificationsView{Email: m.Notifications.Resolved(m.Role), Locked: []string{}}
	for _, c := range orgs.NotificationCategories {
		if orgs.Locked(m.Role, c) {
			v.Locked = append(v.Locked, c)
		}
	}
	return v
}

func (s *Server) getMyNotifications(c *call) error {
	if _, err := query(c.r); err != nil {
		return err
	}
	return c.replyVersioned(http.StatusOK, c.member.Version, viewNotifications(c.member))
}

// setMyNotifications replaces the caller's email choices; a category left
// out is on. An owner cannot turn off billing or security mail.
func (s *Server) setMyNotifications(c *call) error {
	var in struct {
		Email *map[string]*bool `json:"email"`
	}
	version, err := ifMatch(c.r)
	if err != nil {
		return err
	}
	if err := c.decode(&in); err != nil {
		return err
	}
	if in.Email == nil {
		return problem.Field("email", "is required")
	}
	prefs := orgs.EmailPrefs{}
	var fields []problem.FieldError
	for k, v := range *in.Email {
		field := "email." + k
		switch {
		case !slices.Contains(orgs.NotificationCategories, k):
			fields = append(fields, problem.FieldError{Field: field,
				Message: "is not a notification category (" + strings.Join(orgs.NotificationCategories, ", ") + ")"})
		case v == nil:
			fields = append(fields, problem.FieldError{Field: field, Message: "must be true or false"})
		case !*v && orgs.Locked(c.member.Role, k):
			fields = append(fields, problem.FieldError{Field: field, Message: "cannot be turned off by an owner"})
		default:
			prefs[k] = *v
		}
	}
	if err := problem.Fields(fields); err != nil {
		return err
	}
	if version > 0 && version != c.member.Version {
		return problem.New(problem.VersionConflict, "Your notification settings changed since you read them.")
	}
	m, err := s.Store.SetNotifications(c.ctx(), c.member, prefs)
	if err != nil {
		return storeError(err, "Member")
	}
	return c.replyVersioned(http.StatusOK, m.Version, viewNotifications(m))
}
