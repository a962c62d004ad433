// Package stack is Orgplane's CDK stack: the table, one Lambda function
// per route, stream consumer and schedule (from the lists in package
// deploy), the HTTP API, identity (Cognito or an external OIDC issuer),
// alarms and outputs. Everything varying per function follows from the
// lists; nothing here names a route.
package stack

import (
	"fmt"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/orgplane/orgplane/infra/deploy"
	"github.com/orgplane/orgplane/shared/table"
)

// Props configures the stack.
type Props struct {
	awscdk.StackProps
	// Lists are the functions to deploy: deploy.Current() in the app.
	Lists deploy.Lists
	// CodeDir holds <function name>/bootstrap for every function (make build
	// writes build/<name>/bootstrap).
	CodeDir string
	// Config is the deploy-time configuration (ReadConfig).
	Config Config
}

// orgplane is the stack under construction, with what the per-function
// builders share.
type orgplane struct {
	stack    awscdk.Stack
	cfg      Config
	codeDir  string
	table    awsdynamodb.Table
	exports  awss3.Bucket
	api      awsapigatewayv2.HttpApi
	env      map[string]*string
	removal  awscdk.RemovalPolicy
	logDays  awslogs.RetentionDays
	alarmSNS awscloudwatchactions.SnsAction // nil without alarmEmail
}

// NewOrgplaneStack builds the stack. It panics on an invalid function list
// or configuration, which ReadConfig reports first in the app.
func NewOrgplaneStack(scope constructs.Construct, id string, props *Props) awscdk.Stack {
	fns, err := props.Lists.All()
	if err != nil {
		panic(err)
	}
	if props.CodeDir == "" {
		panic("stack: Props.CodeDir is required")
	}
	if _, ok := retentions[props.Config.LogRetentionDays]; !ok {
		panic("stack: Props.Config is not a checked configuration: build it with ReadConfig")
	}
	sp := props.StackProps
	if sp.Description == nil {
		sp.Description = jsii.String("Orgplane: organizations, members, roles, invitations, API keys, wallet, apps.")
	}
	s := &orgplane{stack: awscdk.NewStack(scope, &id, &sp), cfg: props.Config, codeDir: props.CodeDir}
	s.removal = awscdk.RemovalPolicy_RETAIN
	if !s.cfg.Retains() {
		s.removal = awscdk.RemovalPolicy_DESTROY
	}
	s.logDays = retentions[s.cfg.LogRetentionDays]

	s.table = newTable(s, table.Definition)
	s.exports = s.exportBucket()
	issuer, audience, jwks := s.identity()
	s.env = map[string]*string{
		deploy.EnvTableName:    s.table.TableName(),
		deploy.EnvOIDCIssuer:   issuer,
		deploy.EnvOIDCAudience: audience,
		deploy.EnvOIDCJWKSURL:  jwks,
		deploy.EnvAppURL:       jsii.String(s.cfg.AppURL),
		deploy.EnvExportBucket: s.exports.BucketName(),
		deploy.EnvCursorSecret: s.generatedSecret("CursorSecret", "HMAC key of Orgplane's pagination cursors."),
		deploy.EnvInviteTokenSecret: s.generatedSecret("InviteTokenSecret",
			"Key Orgplane derives invitation tokens from; rotating it voids every outstanding invitation link."),
	}
	if s.cfg.SESSender != "" {
		s.env[deploy.EnvMailFrom] = jsii.String(s.cfg.SESSender)
	}
	if s.cfg.AppIdleTimeout != "" {
		s.env[deploy.EnvAppIdleTimeout] = jsii.String(s.cfg.AppIdleTimeout)
	}
	if s.cfg.AlarmEmail != "" {
		topic := awssns.NewTopic(s.stack, jsii.String("Alarms"), &awssns.TopicProps{})
		topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(s.cfg.AlarmEmail), nil))
		s.alarmSNS = awscloudwatchactions.NewSnsAction(topic)
	}

	s.api = s.httpAPI()
	// The functions live in nested stacks, a few areas of the API each,
	// so that no template comes near CloudFormation's limits (500
	// resources, 60 dynamic references) however many routes there are;
	// the stack itself keeps the table, identity, secrets and the API.
	for _, g := range deploy.Groups(fns, deploy.MaxFunctionsPerGroup) {
		nested := awscdk.NewNestedStack(s.stack, jsii.String("Functions"+g.Name), &awscdk.NestedStackProps{
			Description: jsii.String("Orgplane functions, from " + g.Functions[0].Name + " to " + g.Functions[len(g.Functions)-1].Name + "."),
		})
		for _, f := range g.Functions {
			s.function(nested, f)
		}
	}

	out := func(name, desc string, value *string) {
		awscdk.NewCfnOutput(s.stack, jsii.String(name), &awscdk.CfnOutputProps{Description: jsii.String(desc), Value: value})
	}
	out("ApiUrl", "Base URL of the HTTP API.", s.api.ApiEndpoint())
	out("TableName", "The DynamoDB table.", s.table.TableName())
	out("ExportBucketName", "The bucket of export files (kept 7 days).", s.exports.BucketName())
	out("OidcIssuer", "Issuer whose ID tokens the API accepts.", issuer)
	return s.stack
}

// generatedSecret makes a random 64-character secret in Secrets Manager
// and returns a CloudFormation dynamic reference to it: CloudFormation
// resolves it at deploy time into the functions' (KMS-encrypted)
// configuration, so the value never appears in the template, cdk.out or
// the repository. See the README (Deploy, Secrets) for the trade-off.
func (s *orgplane) generatedSecret(id, description string) *string {
	secret := awssecretsmanager.NewSecret(s.stack, jsii.String(id), &awssecretsmanager.SecretProps{
		Description: jsii.String(description),
		GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
			PasswordLength: jsii.Number(64), ExcludePunctuation: jsii.Bool(true),
		},
		RemovalPolicy: s.removal,
	})
	return secret.SecretValue().UnsafeUnwrap()
}

// newTable builds the one table from its definition.
func newTable(s *orgplane, d table.Def) awsdynamodb.Table {
	str := func(name string) *awsdynamodb.Attribute {
		return &awsdynamodb.Attribute{Name: jsii.String(name), Type: awsdynamodb.AttributeType_STRING}
	}
	t := awsdynamodb.NewTable(s.stack, jsii.String("Table"), &awsdynamodb.TableProps{
		PartitionKey: str(d.PartitionKey),
		SortKey:      str(d.SortKey),
		BillingMode:  awsdynamodb.BillingMode_PAY_PER_REQUEST,
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		Stream:              awsdynamodb.StreamViewType(d.StreamView),
		TimeToLiveAttribute: jsii.String(d.TTLAttribute),
		RemovalPolicy:       s.removal,
		DeletionProtection:  jsii.Bool(s.cfg.Retains()),
	})
	for _, ix := range d.Indexes {
		t.AddGlobalSecondaryIndex(&awsdynamodb.GlobalSecondaryIndexProps{
			IndexName:      jsii.String(ix.Name),
			PartitionKey:   str(ix.PartitionKey),
			SortKey:        str(ix.SortKey),
			ProjectionType: awsdynamodb.ProjectionType_ALL,
		})
	}
	return t
}

// identity returns the OIDC issuer, audience and JWKS URL the functions
// verify tokens with: the configured external issuer, or a Cognito user
// pool and app client made here.
func (s *orgplane) identity() (issuer, audience, jwks *string) {
	if s.cfg.OIDCIssuer != "" {
		return jsii.String(s.cfg.OIDCIssuer), jsii.String(s.cfg.OIDCAudience), jsii.String(s.cfg.OIDCJWKSURL)
	}
	pool := awscognito.NewUserPool(s.stack, jsii.String("UserPool"), &awscognito.UserPoolProps{
		SelfSignUpEnabled: jsii.Bool(true),
		SignInAliases:     &awscognito.SignInAliases{Email: jsii.Bool(true)},
		AutoVerify:        &awscognito.AutoVerifiedAttrs{Email: jsii.Bool(true)},
		StandardAttributes: &awscognito.StandardAttributes{
			Email:    &awscognito.StandardAttribute{Required: jsii.Bool(true), Mutable: jsii.Bool(true)},
			Fullname: &awscognito.StandardAttribute{Required: jsii.Bool(false), Mutable: jsii.Bool(true)},
		},
		AccountRecovery: awscognito.AccountRecovery_EMAIL_ONLY,
		PasswordPolicy: &awscognito.PasswordPolicy{
			MinLength: jsii.Number(12), RequireLowercase: jsii.Bool(true), RequireUppercase: jsii.Bool(true),
			RequireDigits: jsii.Bool(true), RequireSymbols: jsii.Bool(false),
		},
		DeletionProtection: jsii.Bool(s.cfg.Retains()),
		RemovalPolicy:      s.removal,
	})
	// A public client (no secret) for browsers and CLIs; the API accepts
	// its ID tokens, whose aud is this client's id. USER_PASSWORD_AUTH
	// (besides SRP) lets a CLI, or the aws CLI as the README shows, sign in.
	client := pool.AddClient(jsii.String("AppClient"), &awscognito.UserPoolClientOptions{
		AuthFlows:                  &awscognito.AuthFlow{UserSrp: jsii.Bool(true), UserPassword: jsii.Bool(true)},
		GenerateSecret:             jsii.Bool(false),
		PreventUserExistenceErrors: jsii.Bool(true),
		IdTokenValidity:            awscdk.Duration_Hours(jsii.Number(1)),
	})
	awscdk.NewCfnOutput(s.stack, jsii.String("UserPoolId"), &awscdk.CfnOutputProps{
		Description: jsii.String("Cognito user pool of Orgplane's users."), Value: pool.UserPoolId()})
	awscdk.NewCfnOutput(s.stack, jsii.String("UserPoolClientId"), &awscdk.CfnOutputProps{
		Description: jsii.String("App client whose ID tokens the API accepts (their aud)."), Value: client.UserPoolClientId()})

	iss := fmt.Sprintf("https://cognito-idp.%s.%s/%s", *s.stack.Region(), *s.stack.UrlSuffix(), *pool.UserPoolId())
	return jsii.String(iss), client.UserPoolClientId(), jsii.String(iss + "/.well-known/jwks.json")
}

// httpAPI is the HTTP API with its $default stage: CORS, throttling and
// JSON access logs. Routes are added per function.
func (s *orgplane) httpAPI() awsapigatewayv2.HttpApi {
	var methods []awsapigatewayv2.CorsHttpMethod
	for _, m := range deploy.CORSAllowMethods {
		methods = append(methods, awsapigatewayv2.CorsHttpMethod(m))
	}
	api := awsapigatewayv2.NewHttpApi(s.stack, jsii.String("Api"), &awsapigatewayv2.HttpApiProps{
		ApiName:     jsii.String(s.cfg.StackName()),
		Description: jsii.String("Orgplane HTTP API: one route and one Lambda function per entry of the route list."),
		CorsPreflight: &awsapigatewayv2.CorsPreflightOptions{
			AllowOrigins:  jsii.Strings(s.cfg.CORSOrigins...),
			AllowMethods:  &methods,
			AllowHeaders:  jsii.Strings(deploy.CORSAllowHeaders...),
			ExposeHeaders: jsii.Strings(deploy.CORSExposeHeaders...),
			MaxAge:        awscdk.Duration_Seconds(jsii.Number(deploy.CORSMaxAgeSeconds)),
		},
		CreateDefaultStage: jsii.Bool(false),
	})
	logs := awslogs.NewLogGroup(s.stack, jsii.String("ApiAccessLogs"), &awslogs.LogGroupProps{
		Retention: s.logDays, RemovalPolicy: s.removal,
	})
	stage := awsapigatewayv2.NewHttpStage(s.stack, jsii.String("ApiStage"), &awsapigatewayv2.HttpStageProps{
		HttpApi:    api,
		StageName:  jsii.String("$default"),
		AutoDeploy: jsii.Bool(true),
		Throttle: &awsapigatewayv2.ThrottleSettings{
			RateLimit: jsii.Number(s.cfg.ThrottleRate), BurstLimit: jsii.Number(s.cfg.ThrottleBurst),
		},
		AccessLogSettings: &accessLogSettings{
			destination: awsapigatewayv2.NewLogGroupLogDestination(logs),
			format:      awsapigateway.AccessLogFormat_Custom(jsii.String(deploy.AccessLogFormat)),
		},
	})
	if s.cfg.DomainName != "" {
		s.customDomain(api, stage)
	}
	s.alarm("Api5xxAlarm", "The HTTP API answered 5xx: a fault in a function or the integration.",
		api.MetricServerError(&awscloudwatch.MetricOptions{
			Period: awscdk.Duration_Minutes(jsii.Number(5)), Statistic: jsii.String("Sum"),
		}), 5)
	return api
}

// customDomain serves the API's $default stage on the configured domain
// name too; DNS for the name stays with its owner (the ApiDomainTarget
// output is where a CNAME or alias points).
func (s *orgplane) customDomain(api awsapigatewayv2.HttpApi, stage awsapigatewayv2.HttpStage) {
	dn := awsapigatewayv2.NewDomainName(s.stack, jsii.String("ApiDomain"), &awsapigatewayv2.DomainNameProps{
		DomainName:     jsii.String(s.cfg.DomainName),
		Certificate:    awscertificatemanager.Certificate_FromCertificateArn(s.stack, jsii.String("ApiCertificate"), jsii.String(s.cfg.CertificateArn)),
		SecurityPolicy: awsapigatewayv2.SecurityPolicy_TLS_1_2,
	})
	awsapigatewayv2.NewApiMapping(s.stack, jsii.String("ApiMapping"), &awsapigatewayv2.ApiMappingProps{
		Api: api, DomainName: dn, Stage: stage,
	})
	awscdk.NewCfnOutput(s.stack, jsii.String("ApiDomainTarget"), &awscdk.CfnOutputProps{
		Description: jsii.String("Point a CNAME (or alias) for " + s.cfg.DomainName + " here."),
		Value:       dn.RegionalDomainName(),
	})
	awscdk.NewCfnOutput(s.stack, jsii.String("ApiCustomUrl"), &awscdk.CfnOutputProps{
		Description: jsii.String("The API on its custom domain."), Value: jsii.String("https://" + s.cfg.DomainName),
	})
}

// accessLogSettings implements awsapigatewayv2.IAccessLogSettings.
type accessLogSettings struct {
	destination awsapigatewayv2.IAccessLogDestination
	format      awsapigateway.AccessLogFormat
}

func (a *accessLogSettings) Destination() awsapigatewayv2.IAccessLogDestination { return a.destination }
func (a *accessLogSettings) Format() awsapigateway.AccessLogFormat              { return a.format }

// failureQueue is where a stream consumer's or schedule's finally failed
// events land, with an alarm as soon as one does.
func (s *orgplane) failureQueue(scope constructs.Construct, what string) awssqs.Queue {
	q := awssqs.NewQueue(scope, jsii.String("FailureQueue"), &awssqs.QueueProps{
		RetentionPeriod: awscdk.Duration_Seconds(jsii.Number(deploy.FailureQueueRetention.Seconds())),
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
	})
	s.alarmIn(scope, "FailureQueueAlarm", what+" gave up on events: they wait in its failure queue.",
		q.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{
			Period: awscdk.Duration_Minutes(jsii.Number(5)), Statistic: jsii.String("Maximum"),
		}), 1)
	return q
}

func (s *orgplane) alarm(id, desc string, m awscloudwatch.Metric, threshold float64) {
	s.alarmIn(s.stack, id, desc, m, threshold)
}

func (s *orgplane) alarmIn(scope constructs.Construct, id, desc string, m awscloudwatch.Metric, threshold float64) {
	a := awscloudwatch.NewAlarm(scope, jsii.String(id), &awscloudwatch.AlarmProps{
		AlarmDescription:   jsii.String(desc),
		Metric:             m,
		Threshold:          jsii.Number(threshold),
		EvaluationPeriods:  jsii.Number(1),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
	if s.alarmSNS != nil {
		a.AddAlarmAction(s.alarmSNS)
	}
}

// codePath is the asset directory of one function.
func (s *orgplane) codePath(name string) string { return filepath.Join(s.codeDir, name) }
