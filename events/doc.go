// Package events holds sample Lambda events, one JSON file each, as
// `sam local invoke -e` takes them and as the tests in this folder feed
// them to the real handlers through the Lambda entry path:
//
//   - api-*.json: API Gateway HTTP API (payload 2.0) requests;
//   - stream-*.json: DynamoDB stream batches, as the event source mapping
//     delivers them (after its filter);
//   - schedule-*.json: the EventBridge scheduled event.
//
// Values that only exist at run time are placeholders the tests fill in
// (and that you replace before `sam local invoke -e`): {{TOKEN}}, an ID
// token of the configured issuer (locally: POST /dev/token); {{ORG_ID}},
// {{INVITATION_ID}} and {{NONCE}}, an organization, an invitation and one
// of its send requests that exist in the table; {{NOW}} and
// {{WINDOW_START}}, a time (RFC 3339) and the epoch second of its minute.
package events
