package deploy

import "time"

// Environment variables the functions read (see app.FromEnv).
const (
	EnvTableName         = "TABLE_NAME"
	EnvOIDCIssuer        = "OIDC_ISSUER"
	EnvOIDCJWKSURL       = "OIDC_JWKS_URL"
	EnvOIDCAudience      = "OIDC_AUDIENCE"
	EnvCursorSecret      = "CURSOR_SECRET"
	EnvInviteTokenSecret = "INVITE_TOKEN_SECRET"
	EnvAppURL            = "APP_URL"
	// EnvAppIdleTimeout (a Go duration) overrides how long an app
	// instance may go without access before the schedule stops it.
	EnvAppIdleTimeout = "APP_IDLE_TIMEOUT"
	// EnvBillingPeriod (a Go duration) shortens subscription periods for
	// local runs (BILLING_PERIOD=2m); AWS never sets it: a calendar month.
	EnvBillingPeriod = "BILLING_PERIOD"
	// EnvDynamoDBEndpoint is set only locally (sam local against DynamoDB
	// Local); in AWS the SDK's regional endpoint is used.
	EnvDynamoDBEndpoint = "DYNAMODB_ENDPOINT"
	// EnvMailFrom is the sender address of functions that send email; in
	// AWS it is the SES identity they may send as.
	EnvMailFrom = "MAIL_FROM"
	// EnvSMTPAddr sends mail over SMTP instead of SES: MailDev locally.
	EnvSMTPAddr = "SMTP_ADDR"
	// EnvExportBucket names the export bucket, for the functions that
	// write or link to its files.
	EnvExportBucket = "EXPORT_BUCKET"
	// EnvS3Endpoint is set only locally: the local S3 server.
	EnvS3Endpoint = "S3_ENDPOINT"
)

// CommonEnv is what every function is given, in AWS and in template.yaml
// alike; a test checks it satisfies app.FromEnv.
var CommonEnv = []string{EnvTableName, EnvOIDCIssuer, EnvOIDCJWKSURL, EnvOIDCAudience,
	EnvCursorSecret, EnvInviteTokenSecret, EnvAppURL}

// CORS of the HTTP API. Browsers call it with a bearer token (never
// cookies), so credentials stay off and any origin may be allowed.
var (
	CORSAllowMethods  = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
	CORSAllowHeaders  = []string{"Authorization", "Content-Type", "If-Match", "Idempotency-Key"}
	CORSExposeHeaders = []string{"ETag", "Location", "Retry-After",
		"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"}
	// CORSDefaultOrigins applies unless the stack's context names origins.
	CORSDefaultOrigins = []string{"*"}
)

// CORSMaxAgeSeconds is how long browsers may cache a preflight answer.
const CORSMaxAgeSeconds = 600

// Default stage throttling of the HTTP API (per account and region, all
// routes together); the CDK context may override both.
const (
	ThrottleRateLimit  = 50  // requests per second, steady
	ThrottleBurstLimit = 100 // requests, burst
)

// LogRetentionDays is how long function and access logs are kept unless
// the CDK context says otherwise. It must be a value CloudWatch Logs
// accepts (1, 3, 5, 7, 14, 30, 60, 90, ...).
const LogRetentionDays = 30

// AccessLogFormat is the HTTP API access log line: JSON, one request each.
const AccessLogFormat = `{"requestId":"$context.requestId","ip":"$context.identity.sourceIp",` +
	`"requestTime":"$context.requestTime","routeKey":"$context.routeKey","status":"$context.status",` +
	`"protocol":"$context.protocol","responseLength":"$context.responseLength",` +
	`"latency":"$context.responseLatency","integrationLatency":"$context.integrationLatency",` +
	`"integrationError":"$context.integrationErrorMessage","userAgent":"$context.identity.userAgent"}`

// Retry policy of a schedule's target: EventBridge retries a failed
// invocation this often, for at most this long, then drops the event in
// the schedule's dead-letter queue.
const (
	ScheduleRetries     = 2
	ScheduleMaxEventAge = time.Hour
)

// FailureQueueRetention is how long the on-failure and dead-letter queues
// keep what they receive (SQS's maximum), so nothing expires unseen.
const FailureQueueRetention = 14 * 24 * time.Hour

// OptionalEnv is given to every function only where it is configured
// (the CDK context appIdleTimeout; APP_IDLE_TIMEOUT of the local stack).
var OptionalEnv = []string{EnvAppIdleTimeout, EnvBillingPeriod}

// Env names the variables the function is given in AWS: CommonEnv,
// MAIL_FROM if it sends email, EXPORT_BUCKET if it touches exports. The CDK stack, template.yaml and Lambda
// mode all set these (a test compares them), plus OptionalEnv where
// configured.
func (f Function) Env() []string {
	env := append([]string{}, CommonEnv...)
	if f.SendsEmail {
		env = append(env, EnvMailFrom)
	}
	if f.Exports != NoExports {
		env = append(env, EnvExportBucket)
	}
	return env
}

// LocalEnv names what runs against local services add to Env: the
// DynamoDB endpoint, the SMTP server of functions that send email, the S3
// server of functions that touch exports.
// template.yaml (for sam local) and Lambda mode set these; AWS does not.
func (f Function) LocalEnv() []string {
	env := []string{EnvDynamoDBEndpoint}
	if f.SendsEmail {
		env = append(env, EnvSMTPAddr)
	}
	if f.Exports != NoExports {
		env = append(env, EnvS3Endpoint)
	}
	return env
}
