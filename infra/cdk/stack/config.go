package stack

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/orgplane/orgplane/infra/deploy"
)

// Context keys the stack reads (`cdk deploy -c key=value`, or cdk.json).
const (
	CtxStage            = "stage"            // "prod" (default) or e.g. "dev"; only prod-like stages retain data
	CtxOIDCIssuer       = "oidcIssuer"       // external issuer instead of a Cognito user pool
	CtxOIDCAudience     = "oidcAudience"     // required with oidcIssuer
	CtxOIDCJWKSURL      = "oidcJwksUrl"      // default <issuer>/.well-known/jwks.json
	CtxSESSender        = "sesSender"        // SES identity (address or domain) email is sent from
	CtxAppURL           = "appUrl"           // base URL of the web app, for links in emails; default the console's
	CtxCORSOrigins      = "corsOrigins"      // comma-separated allowed origins; default the console's
	CtxThrottleRate     = "throttleRate"     // stage steady-state requests per second
	CtxThrottleBurst    = "throttleBurst"    // stage burst
	CtxLogRetentionDays = "logRetentionDays" // function and access log retention
	CtxAlarmEmail       = "alarmEmail"       // subscribe this address to the alarms
	CtxAppIdleTimeout   = "appIdleTimeout"   // Go duration; idle app instances are stopped after it
	CtxDomainName       = "domainName"       // optional custom domain of the API (with certificateArn)
	CtxCertificateArn   = "certificateArn"   // regional ACM certificate for domainName
)

var (
	stageName  = regexp.MustCompile(`^[a-z][a-z0-9]{0,15}$`)
	domainName = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
)

// DevStage is the stage whose data (table, user pool, logs) is destroyed
// with the stack. Every other stage retains it.
const DevStage = "dev"

// Config is the deploy-time configuration, read from CDK context.
type Config struct {
	Stage string
	// OIDC: empty Issuer means the stack creates a Cognito user pool and
	// app client and derives all three from them.
	OIDCIssuer, OIDCAudience, OIDCJWKSURL string
	SESSender                             string
	AppURL                                string   // "": the console's URL
	CORSOrigins                           []string // none: the console's origin
	ThrottleRate, ThrottleBurst           int
	LogRetentionDays                      int
	AlarmEmail                            string
	AppIdleTimeout                        string // Go duration, "" for the app's default
	// DomainName, when set, serves the API on that name too, with the
	// ACM certificate CertificateArn (in the stack's region).
	DomainName, CertificateArn string
	// ScheduleRates holds rates given by context, by the schedule's
	// RateContext key; schedules without one run at their default rate.
	ScheduleRates map[string]time.Duration
}

// Retains reports whether stateful resources survive the stack's deletion.
func (c Config) Retains() bool { return c.Stage != DevStage }

// StackName is the CloudFormation stack name for the stage: "Orgplane"
// for prod, "Orgplane-<stage>" otherwise, so stages can share an account.
func (c Config) StackName() string {
	if c.Stage == "" || c.Stage == "prod" {
		return "Orgplane"
	}
	return "Orgplane-" + c.Stage
}

// retentions maps the day counts CloudWatch Logs accepts to CDK's enum.
var retentions = map[int]awslogs.RetentionDays{
	1: awslogs.RetentionDays_ONE_DAY, 3: awslogs.RetentionDays_THREE_DAYS, 5: awslogs.RetentionDays_FIVE_DAYS,
	7: awslogs.RetentionDays_ONE_WEEK, 14: awslogs.RetentionDays_TWO_WEEKS, 30: awslogs.RetentionDays_ONE_MONTH,
	60: awslogs.RetentionDays_TWO_MONTHS, 90: awslogs.RetentionDays_THREE_MONTHS, 120: awslogs.RetentionDays_FOUR_MONTHS,
	150: awslogs.RetentionDays_FIVE_MONTHS, 180: awslogs.RetentionDays_SIX_MONTHS, 365: awslogs.RetentionDays_ONE_YEAR,
	400: awslogs.RetentionDays_THIRTEEN_MONTHS, 545: awslogs.RetentionDays_EIGHTEEN_MONTHS,
	731: awslogs.RetentionDays_TWO_YEARS, 1096: awslogs.RetentionDays_THREE_YEARS,
	1827: awslogs.RetentionDays_FIVE_YEARS, 2192: awslogs.RetentionDays_SIX_YEARS,
	2557: awslogs.RetentionDays_SEVEN_YEARS, 2922: awslogs.RetentionDays_EIGHT_YEARS,
	3288: awslogs.RetentionDays_NINE_YEARS, 3653: awslogs.RetentionDays_TEN_YEARS,
}

// ReadConfig reads the configuration from the context of node (an App or
// a Stack) and checks it against the functions it must serve.
func ReadConfig(node constructs.Node, lists deploy.Lists) (Config, error) {
	var errs []error
	str := func(key, def string) string {
		switch v := node.TryGetContext(jsii.String(key)).(type) {
		case nil:
			return def
		case string:
			return strings.TrimSpace(v)
		default:
			return strings.TrimSpace(fmt.Sprint(v))
		}
	}
	num := func(key string, def int) int {
		s := str(key, "")
		if s == "" {
			return def
		}
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			errs = append(errs, fmt.Errorf("context %s=%q: want a positive whole number", key, s))
			return def
		}
		return n
	}

	c := Config{
		Stage:            str(CtxStage, "prod"),
		OIDCIssuer:       strings.TrimRight(str(CtxOIDCIssuer, ""), "/"),
		OIDCAudience:     str(CtxOIDCAudience, ""),
		OIDCJWKSURL:      str(CtxOIDCJWKSURL, ""),
		SESSender:        str(CtxSESSender, ""),
		AppURL:           str(CtxAppURL, ""),
		ThrottleRate:     num(CtxThrottleRate, deploy.ThrottleRateLimit),
		ThrottleBurst:    num(CtxThrottleBurst, deploy.ThrottleBurstLimit),
		LogRetentionDays: num(CtxLogRetentionDays, deploy.LogRetentionDays),
		AlarmEmail:       str(CtxAlarmEmail, ""),
		AppIdleTimeout:   str(CtxAppIdleTimeout, ""),
		DomainName:       strings.TrimSuffix(strings.ToLower(str(CtxDomainName, "")), "."),
		CertificateArn:   str(CtxCertificateArn, ""),
		ScheduleRates:    map[string]time.Duration{},
	}
	if o := str(CtxCORSOrigins, ""); o != "" {
		for origin := range strings.SplitSeq(o, ",") {
			if origin = strings.TrimSpace(origin); origin != "" {
				c.CORSOrigins = append(c.CORSOrigins, origin)
			}
		}
	}

	if !stageName.MatchString(c.Stage) {
		errs = append(errs, fmt.Errorf("context %s=%q: want lower-case letters and digits", CtxStage, c.Stage))
	}
	if c.OIDCIssuer != "" {
		if u, err := url.Parse(c.OIDCIssuer); err != nil || u.Scheme != "https" || u.Host == "" {
			errs = append(errs, fmt.Errorf("context %s=%q: want an https URL", CtxOIDCIssuer, c.OIDCIssuer))
		}
		if c.OIDCAudience == "" {
			errs = append(errs, fmt.Errorf("context %s is required with %s (the client id your tokens carry as aud)",
				CtxOIDCAudience, CtxOIDCIssuer))
		}
		if c.OIDCJWKSURL == "" {
			c.OIDCJWKSURL = c.OIDCIssuer + "/.well-known/jwks.json"
		}
	} else if c.OIDCAudience != "" || c.OIDCJWKSURL != "" {
		errs = append(errs, fmt.Errorf("context %s and %s need %s; without it the stack makes a Cognito user pool",
			CtxOIDCAudience, CtxOIDCJWKSURL, CtxOIDCIssuer))
	}
	if _, ok := retentions[c.LogRetentionDays]; !ok {
		errs = append(errs, fmt.Errorf("context %s=%d is not a CloudWatch Logs retention (1, 3, 5, 7, 14, 30, 60, 90, ...)",
			CtxLogRetentionDays, c.LogRetentionDays))
	}

	if (c.DomainName == "") != (c.CertificateArn == "") {
		errs = append(errs, fmt.Errorf("context %s and %s go together", CtxDomainName, CtxCertificateArn))
	} else if c.DomainName != "" {
		if !domainName.MatchString(c.DomainName) {
			errs = append(errs, fmt.Errorf("context %s=%q: want a DNS name such as api.example.com", CtxDomainName, c.DomainName))
		}
		if !strings.HasPrefix(c.CertificateArn, "arn:") || !strings.Contains(c.CertificateArn, ":acm:") {
			errs = append(errs, fmt.Errorf("context %s=%q: want an ACM certificate ARN", CtxCertificateArn, c.CertificateArn))
		}
	}
	if c.AppIdleTimeout != "" {
		if d, err := time.ParseDuration(c.AppIdleTimeout); err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("context %s=%q: want a positive Go duration such as 12h", CtxAppIdleTimeout, c.AppIdleTimeout))
		}
	}

	fns, err := lists.All()
	if err != nil {
		errs = append(errs, err)
	}
	for _, f := range fns {
		if f.SendsEmail && c.SESSender == "" {
			errs = append(errs, fmt.Errorf("context %s is required: %s sends email (give a verified SES identity)",
				CtxSESSender, f.Name))
			break
		}
	}
	for _, s := range lists.Schedules {
		if s.RateContext == "" {
			continue
		}
		v := str(s.RateContext, "")
		if v == "" {
			continue
		}
		d, err := parseRate(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("context %s=%q (rate of %s): %w", s.RateContext, v, s.Name, err))
			continue
		}
		c.ScheduleRates[s.RateContext] = d
	}
	return c, errors.Join(errs...)
}

// parseRate accepts a Go duration ("15m", "2h") or whole minutes ("15").
func parseRate(s string) (time.Duration, error) {
	if n, err := strconv.Atoi(s); err == nil {
		s = strconv.Itoa(n) + "m"
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, errors.New(`want a duration such as "15m" or "1h", or whole minutes`)
	}
	if d < time.Minute || d%time.Minute != 0 {
		return 0, errors.New("want whole minutes, at least one")
	}
	return d, nil
}
