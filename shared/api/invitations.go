package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/orgplane/orgplane/shared/access"
	"github.com/orgplane/orgplane/shared/activity"
	"github.com/orgplane/orgplane/shared/ddb"
	"github.com/orgplane/orgplane/shared/email"
	"github.com/orgplane/orgplane/shared/ids"
	"github.com/orgplane/orgplane/shared/invites"
	"github.com/orgplane/orgplane/shared/orgs"
	"github.com/orgplane/orgplane/shared/problem"
)

// Invitations. Inside an org they need members:invite, and an inviter may
// hand out (or resend, or revoke) only a role they may grant. The token
// routes (/invitations/{token}) act outside any org: the preview is
// public, accepting and declining need the signed-in invitee.

func (s *Server) clock() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

type invitationView struct {
	ID             string  `json:"id"`
	OrganizationID string  `json:"organization_id"`
	Email          string  `json:"email"`
	Name           *string `json:"name"`
	Role           string  `json:"role"`
	RoleExpiresAt  *string `json:"role_expires_at"`
	Status         string  `json:"status"`
	InvitedBy      string  `json:"invited_by"`
	InviterName    string  `json:"inviter_name"`
	SendCount      int     `json:"send_count"`
	ExpiresAt      string  `json:"expires_at"`
	RespondedAt    *string `json:"responded_at"`
	CreatedAt      string  `json:"created_at"`
	UpdatedAt      string  `json:"updated_at"`
	Version        int64   `json:"version"`
}

func viewInvitation(i invites.Invitation, now time.Time) invitationView {
	return invitationView{ID: i.ID, OrganizationID: i.OrganizationID, Email: i.Email, Name: strOrNil(i.Name),
		Role: i.Role, RoleExpiresAt: tsOrNil(i.RoleExpiresAt), Status: i.StatusAt(now), InvitedBy: i.InviterID, InviterName: i.InviterName,
		SendCount: i.SendCount, ExpiresAt: ts(i.ExpiresAt), RespondedAt: tsOrNil(i.RespondedAt),
		CreatedAt: ts(i.CreatedAt), UpdatedAt: ts(i.UpdatedAt), Version: i.Version}
}

// mayInviteAs applies access.MayInvite to an invitation's role.
func mayInviteAs(c *call, target access.Role) error {
	switch access.MayInvite(c.role, target) {
	case nil:
		return nil
	case access.ErrMemberRoleOnly:
		return problem.New(problem.Forbidden, "Without %q you may invite only with the member role.", access.MembersUpdate)
	case access.ErrLevelTooHigh:
		return problem.New(problem.Forbidden, "You may invite only with roles below your own.")
	}
	return problem.New(problem.Forbidden, "Your role %q lacks the permission %q.", c.role.ID, access.MembersInvite)
}

func (s *Server) createInvitation(c *call) error {
	var in struct {
		Email         *string          `json:"email"`
		Role          *string          `json:"role"`
		RoleExpiresAt Optional[string] `json:"role_expires_at"`
		Name          *string          `json:"name"`
	}
	if err := c.decode(&in); err != nil {
		return err
	}
	var check orgs.Check
	var addr email.Address
	if in.Email == nil {
		check.Add("email", "is required")
	} else {
		addr = check.Email("email", *in.Email)
	}
	if in.Name != nil {
		check.Name("name", *in.Name)
	}
	expires := elevationEnd(&check, in.RoleExpiresAt, c.now())
	if err := check.Err(); err != nil {
		return err
	}
	role, _ := access.BuiltIn(access.Member)
	if in.Role != nil {
		r, err := knownRole(c, "role", *in.Role)
		if err != nil {
			return err
		}
		role = r
	}
	if !expires.IsZero() && (role.ID == access.Owner || role.ID == access.Member) {
		return problem.Field("role_expires_at", "applies to an elevation: a role above member and below owner")
	}
	if err := mayInviteAs(c, role); err != nil {
		return err
	}
	id, nonce := ids.New(ids.Invitation), invites.NewNonce()
	token, err := s.InviteSecret.Token(id, nonce)
	if err != nil {
		return err
	}
	inv, err := s.Store.CreateInvitation(c.ctx(), ddb.NewInvitation{ID: id, Inviter: c.member, Email: addr,
		Name: deref(in.Name), Role: role.ID, RoleExpiresAt: expires, Nonce: nonce, TokenHash: invites.Hash(token),
		InviterRole: c.role})
	switch {
	case errors.Is(err, ddb.ErrAlreadyMember):
		return problem.New(problem.AlreadyMember, "%s is already a member.", addr)
	case errors.Is(err, ddb.ErrEmailInvited):
		return problem.New(problem.Conflict, "An invitation to %s is pending; resend it instead.", addr)
	case err != nil:
		return storeError(err, "Organization")
	}
	c.w.Header().Set("Location", "/organizations/"+c.orgID+"/invitations/"+inv.ID)
	return c.replyVersioned(http.StatusCreated, inv.Version, viewInvitation(inv, s.clock()))
}

func (s *Server) listInvitations(c *call) error {
	q, err := query(c.r, "limit", "cursor", "status")
	if err != nil {
		return err
	}
	f := ddb.InvitationFilter{Status: q.Get("status")}
	if _, ok := q["status"]; ok && !contains(invites.Statuses, f.Status) {
		return problem.Field("status", "must be pending, accepted, declined, revoked or expired")
	}
	list := "invitations:" + f.Status
	pg, err := s.page(q, c.orgID, list)
	if err != nil {
		return err
	}
	var invs []invites.Invitation
	var next ddb.Position
	err = c.alongside(func() (err error) {
		invs, next, err = s.Store.ListInvitations(c.ctx(), c.orgID, f, pg)
		return err
	})
	if err != nil {
		return storeError(err, "Organization")
	}
	now := s.clock()
	views := make([]invitationView, len(invs))
	for i, inv := range invs {
		views[i] = viewInvitation(inv, now)
	}
	return c.reply(http.StatusOK, listOf(views, s.next(c.orgID, list, next)))
}

// invitation reads the {invitation} of the path inside the caller's org.
func (s *Server) invitation(c *call) (invites.Invitation, error) {
	id := c.r.PathValue("invitation")
	if !ids.Valid(ids.Invitation, id) {
		return invites.Invitation{}, problem.NotFoundf("Invitation")
	}
	get := c.reads.Invitation(c.orgID, id)
	if err := c.load(); err != nil {
		return invites.Invitation{}, err
	}
	inv, err := get()
	return inv, storeError(err, "Invitation")
}

func (s *Server) getInvitation(c *call) error {
	if _, err := query(c.r); err != nil {
		return err
	}
	inv, err := s.invitation(c)
	if err != nil {
		return err
	}
	return c.replyVersioned(http.StatusOK, inv.Version, viewInvitation(inv, s.clock()))
}

func (s *Server) revokeInvitation(c *call) error {
	inv, err := s.invitation(c)
	if err != nil {
		return err
	}
	if !access.MayGrant(c.role.Level, levelOf(c, inv.Role)) {
		return problem.New(problem.Forbidden, "You may revoke only invitations to roles below your own.")
	}
	var closed ddb.InvitationStatusError
	if err := s.Store.RevokeInvitation(c.ctx(), c.member, inv); errors.As(err, &closed) {
		return problem.New(problem.Conflict, "The invitation is %s; only an open invitation can be revoked.", closed.Status)
	} else if err != nil {
		return storeError(err, "Invitation")
	}
	return c.noContent()
}

func (s *Server) resendInvitation(c *call) error {
	inv, err := s.invitation(c)
	if err != nil {
		return err
	}
	role, _ := c.org.Role(inv.Role)
	if err := mayInviteAs(c, role); err != nil {
		return err
	}
	nonce := invites.NewNonce()
	token, err := s.InviteSecret.Token(inv.ID, nonce)
	if err != nil {
		return err
	}
	inv, err = s.Store.ResendInvitation(c.ctx(), c.member, inv, nonce, invites.Hash(token))
	var closed ddb.InvitationStatusError
	switch {
	case errors.As(err, &closed):
		return problem.New(problem.Conflict, "The invitation is %s; only an open invitation can be resent.", closed.Status)
	case errors.Is(err, ddb.ErrVersionConflict):
		return problem.New(problem.Conflict, "The invitation changed while it was resent; read it again.")
	case err != nil:
		return storeError(err, "Invitation")
	}
	return c.replyVersioned(http.StatusOK, inv.Version, viewInvitation(inv, s.clock()))
}

// byToken finds the invitation of the path's {token}. Tokens are looked up
// by their hash; a malformed one is answered like an unknown one.
func (s *Server) byToken(c *call) (invites.Invitation, orgs.Organization, string, error) {
	token := c.r.PathValue("token")
	if !invites.WellFormed(token) {
		return invites.Invitation{}, orgs.Organization{}, "", problem.NotFoundf("Invitation")
	}
	hash := invites.Hash(token)
	inv, org, err := s.Store.InvitationByToken(c.ctx(), hash)
	return inv, org, hash, storeError(err, "Invitation")
}

// forInvitee admits only the signed-in user the invitation was sent to,
// and only while it can still be used. The mismatch answer names no
// address: the token's holder learns nothing about whom it was for.
func (s *Server) forInvitee(c *call, inv invites.Invitation) error {
	// Exact comparison of normalized addresses: no Unicode case folding.
	if email.Normalize(inv.Email) != email.Address(c.principal.Email) {
		return problem.New(problem.Forbidden, "This invitation was sent to another email address; sign in as its recipient.")
	}
	if st := inv.StatusAt(s.clock()); st != invites.Pending {
		return problem.New(problem.Gone, "This invitation is %s and can no longer be used.", st)
	}
	return nil
}

type invitationPreview struct {
	OrganizationName string `json:"organization_name"`
	InviterName      string `json:"inviter_name"`
	Role             string `json:"role"`
	Status           string `json:"status"`
	ExpiresAt        string `json:"expires_at"`
}

func (s *Server) previewInvitation(c *call) error {
	if _, err := query(c.r); err != nil {
		return err
	}
	inv, org, _, err := s.byToken(c)
	if err != nil {
		return err
	}
	return c.reply(http.StatusOK, invitationPreview{OrganizationName: org.Name, InviterName: inv.InviterName,
		Role: inv.Role, Status: inv.StatusAt(s.clock()), ExpiresAt: ts(inv.ExpiresAt)})
}

func (s *Server) acceptInvitation(c *call) error {
	inv, org, hash, err := s.byToken(c)
	if err != nil {
		return err
	}
	if err := s.forInvitee(c, inv); err != nil {
		return err
	}
	u, _, err := s.Store.EnsureUser(c.ctx(), c.principal)
	if err != nil {
		return err
	}
	m, err := s.Store.AcceptInvitation(c.ctx(), inv, org, hash, u)
	if errors.Is(err, ddb.ErrAlreadyMember) {
		return problem.New(problem.AlreadyMember, "You are already a member of this organization.")
	}
	if err != nil {
		return storeError(err, "Invitation")
	}
	m.LastLoginAt = u.LastLoginAt
	return c.reply(http.StatusOK, struct {
		OrganizationID   string     `json:"organization_id"`
		OrganizationName string     `json:"organization_name"`
		Member           memberView `json:"member"`
	}{org.ID, org.Name, viewMember(m, c.now())})
}

func (s *Server) declineInvitation(c *call) error {
	inv, _, hash, err := s.byToken(c)
	if err != nil {
		return err
	}
	if err := s.forInvitee(c, inv); err != nil {
		return err
	}
	if err := s.Store.DeclineInvitation(c.ctx(), inv, hash, activity.Person(c.principal.UserID, c.principal.Name, c.principal.Email)); err != nil {
		return storeError(err, "Invitation")
	}
	return c.noContent()
}
