package stack

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/orgplane/orgplane/infra/deploy"
	"github.com/orgplane/orgplane/shared/ddb"
	"github.com/orgplane/orgplane/shared/table"
	"github.com/orgplane/orgplane/shared/triggers"
)

// Table actions, by what a function may do. Scan is in neither: lists are
// queries (DESIGN.md), so no function needs it. The Transact* and Batch*
// APIs are authorized as the per-item actions they perform.
var (
	ReadActions  = []string{"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:ConditionCheckItem"}
	IndexActions = []string{"dynamodb:Query"}
	WriteActions = []string{"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}
	SESActions   = []string{"ses:SendEmail", "ses:SendRawEmail"}
	// StreamActions read the table's stream, for the event source mapping.
	StreamActions = []string{"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"}
	// ListStreamsAction is needed by stream consumers too, and is the one
	// action granted on "*": ListStreams has no resource-level permissions.
	ListStreamsAction = "dynamodb:ListStreams"
	// KeyUseActions are what a read-only route may write, and only in the
	// partitions ddb.KeyUsePartitions names: an API key's rate-limit
	// windows and last use.
	KeyUseActions = []string{"dynamodb:UpdateItem"}
	// FailureQueueActions let a stream consumer's event source mapping send
	// what it gives up on to the function's failure queue.
	FailureQueueActions = []string{"sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"}
)

// function builds one function and what invokes it, in a construct of its
// own below parent (its group's nested stack) named by the function's ID: Role, Logs, Function, and Route,
// EventSource or Schedule with its FailureQueue.
func (s *orgplane) function(parent constructs.Construct, f deploy.Function) {
	scope := constructs.NewConstruct(parent, jsii.String(f.ID()))
	logs := awslogs.NewLogGroup(scope, jsii.String("Logs"), &awslogs.LogGroupProps{
		Retention: s.logDays, RemovalPolicy: s.removal,
	})
	var queue awssqs.Queue
	switch f.Kind {
	case deploy.Stream:
		queue = s.failureQueue(scope, "Stream consumer "+f.Name)
	case deploy.Schedule:
		queue = s.failureQueue(scope, "Scheduled job "+f.Name)
	}
	// The role is made here, not by the Function, so it carries no managed
	// policy (AWSLambdaBasicExecutionRole allows logs on "*"), and it is
	// handed to the Function without policy updates: the one inline policy
	// below is all the function may do, and CDK's own grants (the event
	// source's, the failure queue's) are dropped in favour of it.
	role := awsiam.NewRole(scope, jsii.String("Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("Orgplane function " + f.Name),
		InlinePolicies: &map[string]awsiam.PolicyDocument{
			"access": awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{Statements: s.statements(f, logs, queue)}),
		},
	})

	env := map[string]*string{}
	for _, k := range f.Env() {
		v, ok := s.env[k]
		if !ok {
			panic("stack: no value for " + k + " of " + f.Name)
		}
		env[k] = v
	}
	for _, k := range deploy.OptionalEnv {
		if v, ok := s.env[k]; ok {
			env[k] = v
		}
	}
	fn := awslambda.NewFunction(scope, jsii.String("Function"), &awslambda.FunctionProps{
		Description:  jsii.String("Orgplane " + f.Name + ": " + f.Describe()),
		Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
		Architecture: awslambda.Architecture_ARM_64(),
		Handler:      jsii.String("bootstrap"),
		Code:         awslambda.Code_FromAsset(jsii.String(s.codePath(f.Name)), nil),
		MemorySize:   jsii.Number(f.MemoryMB),
		Timeout:      awscdk.Duration_Seconds(jsii.Number(f.TimeoutSeconds)),
		Environment:  &env,
		Role:         role.WithoutPolicyUpdates(nil),
		LogGroup:     logs,
	})
	// CDK makes the function depend on its role, which the function's
	// GetAtt of the role's ARN already does (cfn-lint W3005); with no
	// default policy there is nothing else to wait for.
	fn.Node().DefaultChild().(awscdk.CfnResource).AddDeletionOverride(jsii.String("DependsOn"))

	switch f.Kind {
	case deploy.HTTP:
		s.route(scope, f, fn)
	case deploy.Stream:
		s.streamConsumer(f, fn, queue)
	case deploy.Schedule:
		s.schedule(scope, f, fn, queue)
	}
}

// statements is the function's whole policy: write its own logs, read
// (and, if it writes, write) the table, query the indexes, read the stream
// and fill the failure queue if it consumes the stream, and send email as
// the configured sender if it sends email, read or write the export
// files if it links to or builds them. Nothing but ListStreams is
// granted on "*".
func (s *orgplane) statements(f deploy.Function, logs awslogs.LogGroup, queue awssqs.Queue) *[]awsiam.PolicyStatement {
	allow := func(actions []string, resources ...*string) awsiam.PolicyStatement {
		return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Effect: awsiam.Effect_ALLOW, Actions: jsii.Strings(actions...), Resources: &resources,
		})
	}
	tableActions := ReadActions
	var writeOnly []string // the partitions a confined writer may write
	if f.Kind == deploy.Stream {
		writeOnly = f.Consumer.Partitions()
	}
	if f.Writes && len(writeOnly) == 0 {
		tableActions = append(append([]string{}, ReadActions...), WriteActions...)
	}
	var indexes []*string
	for _, ix := range table.Definition.Indexes {
		indexes = append(indexes, jsii.String(*s.table.TableArn()+"/index/"+ix.Name))
	}
	st := []awsiam.PolicyStatement{
		allow([]string{"logs:CreateLogStream", "logs:PutLogEvents"}, logs.LogGroupArn()),
		allow(tableActions, s.table.TableArn()),
		allow(IndexActions, indexes...),
	}
	if f.Writes && len(writeOnly) > 0 {
		st = append(st, awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Effect: awsiam.Effect_ALLOW, Actions: jsii.Strings(WriteActions...), Resources: &[]*string{s.table.TableArn()},
			Conditions: &map[string]any{"ForAllValues:StringLike": map[string]any{"dynamodb:LeadingKeys": writeOnly}},
		}))
	}
	if f.Kind == deploy.HTTP && !f.Writes {
		st = append(st, awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Effect: awsiam.Effect_ALLOW, Actions: jsii.Strings(KeyUseActions...), Resources: &[]*string{s.table.TableArn()},
			Conditions: &map[string]any{"ForAllValues:StringLike": map[string]any{"dynamodb:LeadingKeys": ddb.KeyUsePartitions}},
		}))
	}
	if f.Kind == deploy.Stream {
		st = append(st,
			allow(StreamActions, s.table.TableStreamArn()),
			allow([]string{ListStreamsAction}, jsii.String("*")),
			allow(FailureQueueActions, queue.QueueArn()),
		)
	}
	if f.SendsEmail {
		st = append(st, allow(SESActions, s.sesIdentities()...))
	}
	st = append(st, s.exportStatements(f)...)
	return &st
}

// sesIdentities are the ARNs of the sender identity: the address itself
// and, for an address, its domain, since SES authorizes sending against
// whichever of the two is verified.
func (s *orgplane) sesIdentities() []*string {
	arn := func(identity string) *string {
		return s.stack.FormatArn(&awscdk.ArnComponents{
			Service: jsii.String("ses"), Resource: jsii.String("identity"), ResourceName: jsii.String(identity),
		})
	}
	ids := []*string{arn(s.cfg.SESSender)}
	if _, domain, ok := strings.Cut(s.cfg.SESSender, "@"); ok {
		ids = append(ids, arn(domain))
	}
	return ids
}

// route adds the function's HTTP API route, with an integration of its own.
func (s *orgplane) route(scope constructs.Construct, f deploy.Function, fn awslambda.Function) {
	awsapigatewayv2.NewHttpRoute(scope, jsii.String("Route"), &awsapigatewayv2.HttpRouteProps{
		HttpApi:     s.api,
		RouteKey:    awsapigatewayv2.HttpRouteKey_With(jsii.String(f.Route.Path), awsapigatewayv2.HttpMethod(f.Route.Method)),
		Integration: awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String("Integration"), fn, nil),
	})
}

// streamConsumer feeds the function from the table's stream, through the
// consumer's filter, reporting failures per record; a record that keeps
// failing is split out of its batch, retried a bounded number of times,
// and then sent to the failure queue.
func (s *orgplane) streamConsumer(f deploy.Function, fn awslambda.Function, q awssqs.Queue) {
	c := f.Consumer
	fn.AddEventSource(awslambdaeventsources.NewDynamoEventSource(s.table, &awslambdaeventsources.DynamoEventSourceProps{
		// TRIM_HORIZON: a consumer added later also sees the last 24 hours;
		// consumers are idempotent, so replays are harmless.
		StartingPosition:        awslambda.StartingPosition_TRIM_HORIZON,
		BatchSize:               jsii.Number(c.Batch()),
		Filters:                 filters(*c),
		ReportBatchItemFailures: jsii.Bool(true),
		BisectBatchOnError:      jsii.Bool(true),
		RetryAttempts:           jsii.Number(c.Retries()),
		MaxRecordAge:            awscdk.Duration_Seconds(jsii.Number(c.RecordAge().Seconds())),
		OnFailure:               awslambdaeventsources.NewSqsDlq(q),
	}))
}

// schedule runs the function on its rate (or the context's), with
// EventBridge retrying a failed run and then dead-lettering the event.
func (s *orgplane) schedule(scope constructs.Construct, f deploy.Function, fn awslambda.Function, q awssqs.Queue) {
	every := f.Schedule.Every
	if d, ok := s.cfg.ScheduleRates[f.Schedule.RateContext]; ok {
		every = d
	}
	rule := awsevents.NewRule(scope, jsii.String("Schedule"), &awsevents.RuleProps{
		Description: jsii.String("Runs Orgplane " + f.Name),
		Schedule:    awsevents.Schedule_Expression(jsii.String(triggers.RateExpression(every))),
	})
	rule.AddTarget(awseventstargets.NewLambdaFunction(fn, &awseventstargets.LambdaFunctionProps{
		RetryAttempts:   jsii.Number(deploy.ScheduleRetries),
		MaxEventAge:     awscdk.Duration_Seconds(jsii.Number(deploy.ScheduleMaxEventAge.Seconds())),
		DeadLetterQueue: q,
	}))
}

// filters are the event source mapping's filter criteria, one per filter
// of the consumer.
func filters(c triggers.StreamConsumer) *[]*map[string]any {
	var out []*map[string]any
	for _, p := range c.Patterns() {
		out = append(out, &map[string]any{"pattern": p})
	}
	return &out
}
