package ddb

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"strings"
	"testing"
)

// TestEveryItemTypeIsExportedOrExcluded: each item type (the Type*
// constants of keys.go) is either shown by exports through an allow-list
// or excluded with a reason, so a new item type cannot slip out of the
// GDPR export, nor into it unreviewed.
func TestEveryItemTypeIsExportedOrExcluded(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "keys.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			for i, name := range vs.Names {
				if !strings.HasPrefix(name.Name, "Type") || i >= len(vs.Values) {
					continue
				}
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok {
					continue
				}
				v, _ := strconv.Unquote(lit.Value)
				n++
				_, shown := exportShapes[v]
				_, excluded := notExported[v]
				if shown == excluded {
					t.Errorf("%s (%q): shown %v, excluded %v; put it in exactly one of exportShapes and notExported (export_data.go)",
						name.Name, v, shown, excluded)
				}
			}
		}
	}
	if n < 20 {
		t.Fatalf("found only %d item types in keys.go", n)
	}
}

// TestNoShapeShowsASecret: no allow-list names an attribute that holds
// or points at a secret.
func TestNoShapeShowsASecret(t *testing.T) {
	for typ, shape := range exportShapes {
		for _, f := range shape.fields {
			for _, bad := range []string{"hash", "token", "secret", "nonce", "lookup", "env", "PK", "SK", "GSI"} {
				if strings.Contains(f, bad) {
					t.Errorf("%s shows %q", typ, f)
				}
			}
		}
	}
}

// TestEveryOrgPartitionIsExported: each partition key builder of an org
// (a function of keys.go returning "ORG#" + org + …) is read by the export
// (orgPartitions) or named here as a partition of an index, which holds
// copies of table items only.
func TestEveryOrgPartitionIsExported(t *testing.T) {
	read := map[string]bool{}
	for _, pk := range orgPartitions("org_x") {
		read[pk] = true
	}
	builders := map[string]func(string) string{
		"orgPK": orgPK, "ledgerPK": ledgerPK, "appLogPK": appLogPK, "activityPK": activityPK, "usagePK": usagePK,
		"projectListPK": projectListPK,
	}
	indexOnly := map[string]bool{"projectListPK": true}
	f, err := parser.ParseFile(token.NewFileSet(), "keys.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || !strings.HasSuffix(fn.Name.Name, "PK") || fn.Body == nil || len(fn.Body.List) != 1 {
			continue
		}
		ret, ok := fn.Body.List[0].(*ast.ReturnStmt)
		if !ok || len(ret.Results) != 1 {
			continue
		}
		lit, ok := leftmost(ret.Results[0]).(*ast.BasicLit)
		if !ok || lit.Value != `"ORG#"` {
			continue
		}
		build, known := builders[fn.Name.Name]
		switch {
		case !known:
			t.Errorf("%s builds an org partition this test does not know: add it to orgPartitions (keys.go) and here", fn.Name.Name)
		case !indexOnly[fn.Name.Name] && !read[build("org_x")]:
			t.Errorf("%s is not among orgPartitions: the export would miss its items", fn.Name.Name)
		}
	}
}

// leftmost is the first operand of a chain of + (the key's prefix).
func leftmost(e ast.Expr) ast.Expr {
	for {
		b, ok := e.(*ast.BinaryExpr)
		if !ok {
			return e
		}
		e = b.X
	}
}
