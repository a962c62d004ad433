package api_test

import "testing"

// benchmarkRead serves one read through the whole stack — HTTP, token
// verification, membership check, DynamoDB Local — and reports the
// DynamoDB calls per request. The time is mostly DynamoDB Local's; the
// calls per request are what carries over to AWS.
func benchmarkRead(b *testing.B, path func(org, project string) string) {
	e := newEnv(b)
	const owner = "owner@bench.test"
	org, _ := e.newOrg(b, owner, "Bench")
	project := e.must(b, 201, owner, "POST", "/organizations/"+org+"/projects", map[string]any{"name": "P"}).Str(b, "id")
	url := path(org, project)
	e.must(b, 200, owner, "GET", url, nil)
	e.spec = nil
	e.calls.Reset()
	b.ReportAllocs()
	for b.Loop() {
		e.must(b, 200, owner, "GET", url, nil)
	}
	b.ReportMetric(float64(e.calls.Total())/float64(b.N), "ddb-calls/op")
}

func BenchmarkGetOrganization(b *testing.B) {
	benchmarkRead(b, func(org, _ string) string { return "/organizations/" + org })
}

func BenchmarkGetProject(b *testing.B) {
	benchmarkRead(b, func(org, prj string) string { return "/organizations/" + org + "/projects/" + prj })
}

func BenchmarkListProjectsByName(b *testing.B) {
	benchmarkRead(b, func(org, _ string) string { return "/organizations/" + org + "/projects?sort=name" })
}
