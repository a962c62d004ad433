package ddb

import (
	"context"
	"encoding/json"
	"log/slog"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgplane/orgplane/shared/activity"
	"github.com/orgplane/orgplane/shared/catalog"
)

// An export shows each item through an allow-list of its attributes, per
// item type: an attribute added to an item later stays out of every
// export until it is added here. Hashes, tokens, nonces, lookup keys and
// secret values are in no list.
type exportShape struct {
	section string   // where the items go in the export
	fields  []string // attributes copied as stored
	// derive adds fields computed from the item (masked values, parsed
	// JSON, what the sort key says).
	derive func(it item, out map[string]any)
}

// Export sections.
const (
	SectionOrganization = "organization"
	SectionRoles        = "roles"
	SectionMembers      = "members"
	SectionInvitations  = "invitations"
	SectionProjects     = "projects"
	SectionAPIKeys      = "api_keys"
	SectionAPIKeySpend  = "api_key_spend"
	SectionWallet       = "wallet"
	SectionLedger       = "ledger"
	SectionSubscription = "subscription"
	SectionApps         = "apps"
	SectionAppBilling   = "app_billing"
	SectionAppLog       = "app_log"
	SectionActivity     = "activity"
	SectionUsage        = "usage"
	SectionExports      = "exports"
)

var exportShapes = map[string]exportShape{
	TypeOrganization: {section: SectionOrganization, fields: []string{"id", "name", "slug", "description", "logo_url",
		"branding", "notification_preferences", "billing_email", "billing_details", "plan", "personal", "status", "created_by",
		"member_count", "invite_count", "project_count", "api_key_count", "app_count", "role_count", "created_at", "updated_at"}},
	TypeMember: {section: SectionMembers, fields: []string{"user_id", "email", "name", "role", "role_expires_at",
		"status", "joined_at", "notifications"}},
	TypeProject: {section: SectionProjects, fields: []string{"id", "name", "description", "created_by", "api_key_count",
		"created_at", "updated_at"}},
	TypeInvitation: {section: SectionInvitations, fields: []string{"id", "email", "name", "role", "role_expires_at",
		"status", "inviter_id", "inviter_name", "send_count", "expires_at", "responded_at", "accepted_by", "created_at", "updated_at"}},
	TypeAPIKey: {section: SectionAPIKeys, fields: []string{"id", "name", "key_type", "prefix", "last_four", "project_id",
		"permissions", "level", "created_by", "created_at", "expires_at", "grace_expires_at", "revoked_at", "revoke_reason",
		"agent", "credit_budget"}},
	TypeKeySpend: {section: SectionAPIKeySpend, fields: []string{"spent"}, derive: func(it item, out map[string]any) {
		// KEYSPEND#<key>#<period start>
		parts := strings.Split(it.str("SK"), "#")
		if len(parts) == 3 {
			out["api_key_id"], out["period_start"] = parts[1], parts[2]
		}
	}},
	TypeWallet: {section: SectionWallet, fields: []string{"balance", "currency", "created_at", "updated_at"}},
	TypeLedgerEntry: {section: SectionLedger, fields: []string{"id", "kind", "amount", "reference", "description",
		"created_by", "created_at"}},
	TypeSubscription: {section: SectionSubscription, fields: []string{"plan", "status", "current_period_start",
		"current_period_end", "pending_plan", "pending_plan_at", "grace_ends_at", "last_charge_id", "updated_at"}},
	TypeApp: {section: SectionApps, fields: []string{"id", "template_id", "name", "status", "stop_reason", "visibility",
		"created_by", "created_at", "updated_at", "started_at", "stopped_at", "last_active_at", "trial_ends_at", "billing"},
		derive: func(it item, out map[string]any) {
			var env map[string]string
			if v, ok := it["env"]; ok {
				_ = attributevalue.Unmarshal(v, &env) // written from a map[string]string
			}
			out["env"] = catalog.Masked(it.str("template_id"), env)
		}},
	TypeAppBilling: {section: SectionAppBilling, fields: []string{"app_id", "template_id", "billing", "price", "status",
		"due_at", "retry_at", "last_charge_id"}},
	TypeAppEvent: {section: SectionAppLog, fields: []string{"id", "app_id", "event", "reason", "changes", "actor_type",
		"actor_id", "created_at"}},
	TypeActivity: {section: SectionActivity, fields: []string{"id", "action", "occurred_at", "actor_type", "actor_id",
		"actor_name", "targets", "ip", "user_agent", "request_id"},
		derive: func(it item, out map[string]any) {
			if c := it.str("changes"); c != "" {
				var changes activity.Changes
				if json.Unmarshal([]byte(c), &changes) == nil {
					out["changes"] = changes
				}
			}
		}},
	TypeUsageMonth: {section: SectionUsage, fields: append([]string{"month"}, usageCounterAttrs()...)},
	TypeExport: {section: SectionExports, fields: []string{"id", "kind", "status", "format", "user_id", "created_at",
		"finished_at", "size", "records"}},
}

// notExported are the item types no export shows, and why.
var notExported = map[string]string{
	TypeSlugGuard:       "a uniqueness guard; the slug is on the organization",
	TypeEmailGuard:      "a uniqueness guard; the email is on the member or invitation",
	TypeRoleNameGuard:   "a uniqueness guard; the name is on the role",
	TypeAPIKeyLookup:    "keyed by the hash of a key's secret",
	TypeInvitationToken: "keyed by the hash of an invitation token",
	TypeInvitationEmail: "a send request, holding what derives the token",
	TypeRateWindow:      "a rate-limit counter outside the org's partitions",
	TypeIdempotencyKey:  "a request hash; the entry it guards is in the ledger",
	TypeBillingNotice:   "a mail claim marker",
	TypeExportLock:      "the lock of the export being built",
	TypeUser:            "a person's profile: in their own export, not their orgs'",
	TypeActiveKeyMark:   "a mark that a key is counted in a month's active keys; the count is in the month's usage",
	TypeUsageGuard:      "a stream record's guard, outside the org's partitions",
}

// ExportData is what an export holds, by section: each item's allowed
// fields.
type ExportData map[string][]map[string]any

// ExportOrganization reads every partition of the org and returns each
// item as its export shows it. Items of a type no export shows are left
// out; an item of a type this file does not know is left out and logged,
// never shown; so is an item past its ttl, which reads treat as gone
// before DynamoDB removes it.
func (s *Store) ExportOrganization(ctx context.Context, orgID string) (ExportData, error) {
	data := ExportData{}
	now := s.now().Unix()
	for _, pk := range orgPartitions(orgID) {
		if err := s.eachItem(ctx, inPartition(pk, ""), func(it item) {
			if ttl, ok := it["ttl"].(*types.AttributeValueMemberN); ok {
				if t, err := strconv.ParseInt(ttl.Value, 10, 64); err == nil && t > 0 && t <= now {
					return
				}
			}
			data.add(ctx, it)
		}); err != nil {
			return nil, err
		}
	}
	return data, nil
}

// add puts the item's shown fields in its section.
func (d ExportData) add(ctx context.Context, it item) {
	t := it.str("type")
	shape, ok := exportShapes[t]
	if !ok {
		if _, known := notExported[t]; !known {
			slog.WarnContext(ctx, "export: an item of an unknown type is left out", "type", t)
		}
		return
	}
	d[shape.section] = append(d[shape.section], shown(it, shape))
	if t == TypeOrganization {
		d[SectionRoles] = append(d[SectionRoles], customRolesShown(it)...)
	}
}

func shown(it item, shape exportShape) map[string]any {
	out := map[string]any{}
	for _, f := range shape.fields {
		if v, ok := it[f]; ok {
			out[f] = plain(v)
		}
	}
	if shape.derive != nil {
		shape.derive(it, out)
	}
	return out
}

// roleFields are a custom role's shown fields (roles live on the org item).
var roleFields = []string{"name", "description", "level", "permissions", "created_at", "updated_at"}

func customRolesShown(org item) []map[string]any {
	m, ok := org["custom_roles"].(*types.AttributeValueMemberM)
	if !ok {
		return nil
	}
	ids := make([]string, 0, len(m.Value))
	for id := range m.Value {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var out []map[string]any
	for _, id := range ids {
		r, ok := m.Value[id].(*types.AttributeValueMemberM)
		if !ok {
			continue
		}
		role := shown(r.Value, exportShape{fields: roleFields})
		role["id"] = id
		out = append(out, role)
	}
	return out
}

// plain is an attribute value as JSON shows it; numbers keep their digits.
func plain(v types.AttributeValue) any {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return v.Value
	case *types.AttributeValueMemberN:
		return json.Number(v.Value)
	case *types.AttributeValueMemberBOOL:
		return v.Value
	case *types.AttributeValueMemberNULL:
		return nil
	case *types.AttributeValueMemberSS:
		return v.Value
	case *types.AttributeValueMemberNS:
		ns := make([]json.Number, len(v.Value))
		for i, n := range v.Value {
			ns[i] = json.Number(n)
		}
		return ns
	case *types.AttributeValueMemberL:
		l := make([]any, len(v.Value))
		for i, e := range v.Value {
			l[i] = plain(e)
		}
		return l
	case *types.AttributeValueMemberM:
		m := make(map[string]any, len(v.Value))
		for k, e := range v.Value {
			m[k] = plain(e)
		}
		return m
	}
	return nil // binary: no item holds any
}

// eachItem runs the query to its end, handing every item to visit.
func (s *Store) eachItem(ctx context.Context, q *query, visit func(item)) error {
	p := dynamodb.NewQueryPaginator(s.DB, q.input(s.Table))
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, it := range out.Items {
			visit(it)
		}
	}
	return nil
}

// userFields are a person's shown profile fields.
var userFields = []string{"id", "email", "name", "issuer", "subject", "active_organization_id", "active_project_id",
	"personal_organization_id", "created_at", "last_login_at"}

// orgNameFields name an org beside a membership in a personal export.
var orgNameFields = []string{"id", "name", "slug"}

// UserExport is a person's own data: their profile, their memberships
// (with each org's name) and, per org, the activity they were the actor of.
type UserExport struct {
	Profile     map[string]any
	Memberships []map[string]any
	// OrganizationIDs are the orgs of the memberships, for their activity.
	OrganizationIDs []string
}

// ExportUser reads a person's profile and memberships.
func (s *Store) ExportUser(ctx context.Context, userID string) (UserExport, error) {
	var u UserExport
	b, err := s.getMany(ctx, []map[string]types.AttributeValue{profileKey(userID)}, true)
	if err != nil {
		return u, err
	}
	if it, ok := b[itemKey(profileKey(userID))]; ok {
		u.Profile = shown(it, exportShape{fields: userFields})
	}
	var members []item
	if err := s.eachItem(ctx, onIndex("GSI1", userPK(userID)).sortPrefix(membershipGSI1SK("")), func(it item) {
		if it.str("type") == TypeMember {
			members = append(members, it)
		}
	}); err != nil {
		return u, err
	}
	keys := make([]map[string]types.AttributeValue, len(members))
	for i, m := range members {
		keys[i] = orgKey(m.str("organization_id"))
	}
	orgItems, err := s.getMany(ctx, keys, false)
	if err != nil {
		return u, err
	}
	for i, m := range members {
		row := shown(m, exportShapes[TypeMember])
		if o, ok := orgItems[itemKey(keys[i])]; ok {
			row["organization"] = shown(o, exportShape{fields: orgNameFields})
		}
		u.Memberships = append(u.Memberships, row)
		u.OrganizationIDs = append(u.OrganizationIDs, m.str("organization_id"))
	}
	return u, nil
}
