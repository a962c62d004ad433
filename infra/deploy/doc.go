// Package deploy holds what the two deploy descriptions of Orgplane — the
// CDK stack (infra/cdk) and the generated SAM template (infra/gen) — share,
// so they cannot drift apart: the list of Lambda functions (one per HTTP
// route, stream consumer and schedule, built from api.Routes,
// triggers.StreamConsumers and triggers.Schedules), the environment the
// functions read, and the HTTP API's CORS, throttling and access-log
// settings.
package deploy
