package exports_test

import (
	"testing"
	"time"

	"github.com/orgplane/orgplane/shared/exports"
)

func TestStatusAt(t *testing.T) {
	created := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name   string
		status string
		after  time.Duration
		want   string
	}{
		{"Pending", exports.StatusPending, time.Minute, exports.StatusPending},
		{"Running", exports.StatusRunning, 59 * time.Minute, exports.StatusRunning},
		{"StaleRunningFailed", exports.StatusRunning, exports.StaleAfter, exports.StatusFailed},
		{"StalePendingFailed", exports.StatusPending, 2 * time.Hour, exports.StatusFailed},
		{"ReadyStaysReady", exports.StatusReady, 6 * 24 * time.Hour, exports.StatusReady},
		{"ReadyExpires", exports.StatusReady, exports.Retention, exports.StatusExpired},
		{"FailedExpires", exports.StatusFailed, exports.Retention + time.Hour, exports.StatusExpired},
	} {
		t.Run(tt.name, func(t *testing.T) {
			j := exports.Job{Status: tt.status, CreatedAt: created}
			if got := j.StatusAt(created.Add(tt.after)); got != tt.want {
				t.Errorf("StatusAt(+%v) = %s, want %s", tt.after, got, tt.want)
			}
		})
	}
}

func TestObjectsStayUnderTheirKindsPrefix(t *testing.T) {
	for _, tt := range []struct {
		job  exports.Job
		want string
	}{
		{exports.Job{ID: "exp_1", Kind: exports.KindOrganization, OrganizationID: "org_1", Format: exports.FormatJSON},
			"exports/organization/org_1/exp_1.json.gz"},
		{exports.Job{ID: "exp_2", Kind: exports.KindUser, UserID: "usr_1", OrganizationID: "", Format: exports.FormatJSON},
			"exports/user/usr_1/exp_2.json.gz"},
		{exports.Job{ID: "exp_3", Kind: exports.KindActivity, OrganizationID: "org_1", Format: exports.FormatCSV},
			"exports/activity/org_1/exp_3.csv"},
		{exports.Job{ID: "exp_4", Kind: exports.KindActivity, OrganizationID: "org_1", Format: exports.FormatJSONL},
			"exports/activity/org_1/exp_4.jsonl"},
	} {
		if got := tt.job.Object(); got != tt.want {
			t.Errorf("Object() = %s, want %s", got, tt.want)
		}
	}
}
