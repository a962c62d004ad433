package exportjob

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"strings"
	"time"

	"github.com/orgplane/orgplane/shared/activity"
	"github.com/orgplane/orgplane/shared/exports"
)

// eventWriter writes activity events as CSV (a header row, then a row per
// event) or JSON Lines (each event as the activity list shows it).
type eventWriter struct {
	csv  *csv.Writer
	json *json.Encoder
}

// CSVHeader is the activity CSV's first row.
var CSVHeader = []string{"id", "occurred_at", "action", "actor_type", "actor_id", "actor_name", "targets",
	"ip", "user_agent", "request_id", "changes"}

func newEventWriter(w io.Writer, format string) *eventWriter {
	if format == exports.FormatCSV {
		c := csv.NewWriter(w)
		_ = c.Write(CSVHeader)
		return &eventWriter{csv: c}
	}
	return &eventWriter{json: json.NewEncoder(w)}
}

func (w *eventWriter) write(e activity.Event) error {
	if w.json != nil {
		return w.json.Encode(e)
	}
	targets := make([]string, len(e.Targets))
	for i, t := range e.Targets {
		targets[i] = t.Type + ":" + t.ID
	}
	changes := ""
	if len(e.Changes) > 0 {
		b, err := json.Marshal(e.Changes)
		if err != nil {
			return err
		}
		changes = string(b)
	}
	row := []string{e.ID, e.OccurredAt.UTC().Format(time.RFC3339Nano), e.Action, e.Actor.Type, e.Actor.ID, e.Actor.Name,
		strings.Join(targets, " "), e.Context.IP, e.Context.UserAgent, e.Context.RequestID, changes}
	for i, v := range row {
		row[i] = cell(v)
	}
	return w.csv.Write(row)
}

func (w *eventWriter) close() error {
	if w.csv != nil {
		w.csv.Flush()
		return w.csv.Error()
	}
	return nil
}

// cell defuses a value a spreadsheet would run as a formula (a name or
// user agent starting with "="): it is prefixed with an apostrophe, as
// OWASP advises for CSV files opened in spreadsheets.
func cell(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}
