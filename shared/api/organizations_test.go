package api_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgplane/orgplane/shared/access"
)

func TestOrganizationLifecycle(t *testing.T) {
	e := newEnv(t)
	const owner = "owner@life.test"
	r := e.must(t, 201, owner, "POST", "/organizations", map[string]any{"name": "Acme Rockets, Inc.", "description": "We fly"})
	org, slug := r.Str(t, "id"), r.Str(t, "slug")
	if slug != "acme-rockets-inc" || r.Header.Get("Location") != "/organizations/"+org || r.Header.Get("ETag") != `"1"` {
		t.Fatalf("slug %q, headers %v", slug, r.Header)
	}
	got := e.must(t, 200, owner, "GET", "/organizations/"+org, nil).JSON(t)
	if got["plan"] != "free" || got["member_count"] != float64(1) || got["wallet_status"] != "missing" {
		t.Fatalf("org = %v", got)
	}
	t.Run("DerivedSlugCollisionGetsSuffix", func(t *testing.T) {
		again := e.must(t, 201, owner, "POST", "/organizations", map[string]any{"name": "Acme Rockets Inc"}).Str(t, "slug")
		if again == slug || len(again) != len(slug)+7 {
			t.Fatalf("second derived slug %q", again)
		}
	})
	t.Run("PatchWithIfMatch", func(t *testing.T) {
		r := e.must(t, 200, owner, "PATCH", "/organizations/"+org, map[string]any{
			"name": "Acme", "logo_url": "https://cdn.acme.test/logo.png", "billing_email": "billing@acme.test",
			"branding": map[string]any{"primary_color": "#112233"}, "notification_preferences": map[string]any{"weekly_digest": true},
		}, "If-Match", `"1"`)
		if r.Header.Get("ETag") != `"2"` || r.Str(t, "logo_url") != "https://cdn.acme.test/logo.png" {
			t.Fatalf("patch → %s %v", r.Raw, r.Header)
		}
		if r := e.call(t, owner, "PATCH", "/organizations/"+org, map[string]any{"name": "Stale"}, "If-Match", `"1"`); r.Status != 412 || r.Code(t) != "version_conflict" {
			t.Fatalf("stale If-Match → %d %s", r.Status, r.Raw)
		}
		r = e.must(t, 200, owner, "PATCH", "/organizations/"+org, map[string]any{"logo_url": nil})
		if !isNull(r.JSON(t), "logo_url") || r.Str(t, "name") != "Acme" {
			t.Fatalf("null did not clear logo_url: %s", r.Raw)
		}
	})
	t.Run("AdminMayPatchMemberMayNot", func(t *testing.T) {
		e.addMember(t, org, "admin@life.test", access.Admin)
		e.addMember(t, org, "member@life.test", access.Member)
		e.must(t, 200, "admin@life.test", "PATCH", "/organizations/"+org, map[string]any{"description": "by admin"})
		e.must(t, 403, "member@life.test", "PATCH", "/organizations/"+org, map[string]any{"description": "by member"})
		e.must(t, 403, "admin@life.test", "DELETE", "/organizations/"+org, map[string]any{"confirm_slug": slug})
	})
	t.Run("DeleteRemovesEveryItem", func(t *testing.T) {
		e.must(t, 201, owner, "POST", "/organizations/"+org+"/projects", map[string]any{"name": "P"})
		e.must(t, 201, owner, "POST", "/organizations/"+org+"/apps", map[string]any{"template_id": "doc-summarizer",
			"name": "Docs", "env": map[string]any{"LLM_API_KEY": "sk-secret"}})
		e.must(t, 200, "admin@life.test", "PUT", "/me/active-organization", map[string]any{"organization_id": org})
		e.must(t, 204, owner, "DELETE", "/organizations/"+org, map[string]any{"confirm_slug": slug})
		e.must(t, 404, owner, "GET", "/organizations/"+org, nil)
		for _, pk := range []string{"ORG#" + org, "SLUG#" + slug, "ORG#" + org + "#APPLOG", "ORG#" + org + "#LEDGER"} {
			out, err := e.store.DB.Query(context.Background(), &dynamodb.QueryInput{TableName: &e.store.Table,
				KeyConditionExpression:    aws.String("PK = :pk"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: pk}}})
			if err != nil || len(out.Items) != 0 {
				t.Fatalf("%s still holds %d items (%v)", pk, len(out.Items), err)
			}
		}
		if me := e.must(t, 200, "admin@life.test", "GET", "/me", nil).JSON(t); !isNull(me, "active_organization_id") {
			t.Fatalf("a member still points at the deleted org: %v", me)
		}
		e.must(t, 201, owner, "POST", "/organizations", map[string]any{"name": "Reborn", "slug": slug})
	})
}

func TestActiveOrganizationAndProject(t *testing.T) {
	e := newEnv(t)
	const u = "u@active.test"
	org, _ := e.newOrg(t, u, "Work")
	other, _ := e.newOrg(t, "x@active.test", "Other")
	prj := e.must(t, 201, u, "POST", "/organizations/"+org+"/projects", map[string]any{"name": "P"}).Str(t, "id")
	otherPrj := e.must(t, 201, "x@active.test", "POST", "/organizations/"+other+"/projects", map[string]any{"name": "Q"}).Str(t, "id")

	e.must(t, 404, u, "PUT", "/me/active-organization", map[string]any{"organization_id": other})
	me := e.must(t, 200, u, "PUT", "/me/active-organization", map[string]any{"organization_id": org}).JSON(t)
	if me["active_organization_id"] != org || !isNull(me, "active_project_id") {
		t.Fatalf("me = %v", me)
	}
	e.must(t, 404, u, "PUT", "/me/active-project", map[string]any{"project_id": otherPrj})
	if me := e.must(t, 200, u, "PUT", "/me/active-project", map[string]any{"project_id": prj}).JSON(t); me["active_project_id"] != prj {
		t.Fatalf("me = %v", me)
	}
	personal := e.must(t, 200, u, "GET", "/me/organizations", nil).Data(t)
	for _, o := range personal {
		if o["personal"] == true {
			if me := e.must(t, 200, u, "PUT", "/me/active-organization", map[string]any{"organization_id": o["id"]}).JSON(t); !isNull(me, "active_project_id") {
				t.Fatalf("switching org kept the project: %v", me)
			}
		}
	}
}

// TestInterruptedDeleteResumes: an org left "deleting" by a purge cut short
// answers 404 everywhere, yet its owner's DELETE finishes the job.
func TestInterruptedDeleteResumes(t *testing.T) {
	e := newEnv(t)
	const owner = "owner@resume.test"
	org, slug := e.newOrg(t, owner, "Resume")
	e.addMember(t, org, "admin@resume.test", access.Admin)
	e.must(t, 201, owner, "POST", "/organizations/"+org+"/projects", map[string]any{"name": "P"})
	e.must(t, 201, owner, "POST", "/organizations/"+org+"/wallet", nil)
	for i := range 30 {
		e.must(t, 201, owner, "POST", "/organizations/"+org+"/wallet/top-ups", map[string]any{"amount": i + 1})
	}
	// The purge's first step, then the function dies.
	_, err := e.db.UpdateItem(context.Background(), &dynamodb.UpdateItemInput{TableName: &e.store.Table,
		Key:                       map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "ORG#" + org}, "SK": &types.AttributeValueMemberS{Value: "ORG"}},
		UpdateExpression:          aws.String("SET #st = :d"),
		ExpressionAttributeNames:  map[string]string{"#st": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":d": &types.AttributeValueMemberS{Value: "deleting"}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"", "/projects", "/members", "/wallet"} {
		e.must(t, 404, owner, "GET", "/organizations/"+org+p, nil)
		e.must(t, 404, "admin@resume.test", "GET", "/organizations/"+org+p, nil)
	}
	e.must(t, 404, owner, "POST", "/organizations/"+org+"/projects", map[string]any{"name": "late"})
	e.must(t, 403, "admin@resume.test", "DELETE", "/organizations/"+org, map[string]any{"confirm_slug": slug})
	e.must(t, 204, owner, "DELETE", "/organizations/"+org, map[string]any{"confirm_slug": slug})
	for _, pk := range []string{"ORG#" + org, "ORG#" + org + "#LEDGER", "SLUG#" + slug} {
		out, err := e.db.Query(context.Background(), &dynamodb.QueryInput{TableName: &e.store.Table,
			KeyConditionExpression:    aws.String("PK = :pk"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: pk}}})
		if err != nil || len(out.Items) != 0 {
			t.Fatalf("%s still holds %d items (%v)", pk, len(out.Items), err)
		}
	}
	e.must(t, 201, owner, "POST", "/organizations", map[string]any{"name": "Again", "slug": slug})
}
