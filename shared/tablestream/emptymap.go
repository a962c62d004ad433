package tablestream

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
)

// DynamoDB Local's GetRecords writes an empty map attribute as {} rather
// than {"M":{}}, and the SDK decodes that union without a member into a
// wrong value (seen: a number). Every org item has empty maps (branding,
// notification preferences), so the Reader repairs the response body
// before the SDK decodes it: within the records' images, an attribute
// value that is an empty object becomes an empty map. Real DynamoDB
// Streams never sends such a value, so the repair changes nothing there.

// emptyMaps is a per-call option that installs the repair.
func emptyMaps(o *dynamodbstreams.Options) {
	o.HTTPClient = repairing{next: o.HTTPClient}
}

type repairing struct{ next dynamodbstreams.HTTPClient }

func (r repairing) Do(req *http.Request) (*http.Response, error) {
	res, err := r.next.Do(req)
	if err != nil || res.StatusCode != http.StatusOK {
		return res, err
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, err
	}
	if fixed, ok := repairEmptyMaps(body); ok {
		body = fixed
		res.ContentLength = int64(len(body))
		res.Header.Set("Content-Length", strconv.Itoa(len(body)))
	}
	res.Body = io.NopCloser(bytes.NewReader(body))
	return res, nil
}

// repairEmptyMaps rewrites a GetRecords body, reporting whether it
// changed anything.
func repairEmptyMaps(body []byte) ([]byte, bool) {
	var all map[string]json.RawMessage
	var records []map[string]json.RawMessage
	if json.Unmarshal(body, &all) != nil || json.Unmarshal(all["Records"], &records) != nil {
		return body, false
	}
	changed := false
	for _, rec := range records {
		var d map[string]any
		if json.Unmarshal(rec["dynamodb"], &d) != nil {
			continue
		}
		for _, image := range []string{"Keys", "NewImage", "OldImage"} {
			if img, ok := d[image].(map[string]any); ok {
				for _, v := range img {
					changed = repairValue(v) || changed
				}
			}
		}
		rec["dynamodb"], _ = json.Marshal(d)
	}
	if !changed {
		return body, false
	}
	all["Records"], _ = json.Marshal(records)
	fixed, err := json.Marshal(all)
	if err != nil {
		return body, false
	}
	return fixed, true
}

// repairValue turns an empty attribute value object into an empty map,
// in place, looking inside maps and lists.
func repairValue(v any) bool {
	av, ok := v.(map[string]any)
	if !ok {
		return false
	}
	if len(av) == 0 {
		av["M"] = map[string]any{}
		return true
	}
	changed := false
	if m, ok := av["M"].(map[string]any); ok {
		for _, e := range m {
			changed = repairValue(e) || changed
		}
	}
	if l, ok := av["L"].([]any); ok {
		for _, e := range l {
			changed = repairValue(e) || changed
		}
	}
	return changed
}
