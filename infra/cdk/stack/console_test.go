package stack_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/orgplane/orgplane/infra/deploy"
)

// TestConsole: the console's private bucket behind CloudFront (origin
// access control), its security headers, the hosted sign-in's client, and
// the links and config that point at it.
func TestConsole(t *testing.T) {
	s := fullStack(t)
	dist := s.logicalID(t, "Console")
	bucket := s.logicalID(t, "ConsoleBucket")

	t.Run("PrivateBucket", func(t *testing.T) {
		s.template.HasResourceProperties(jsii.String("AWS::S3::Bucket"), map[string]any{
			"PublicAccessBlockConfiguration": map[string]any{
				"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true,
			},
		})
		for id, p := range s.ofType("AWS::S3::BucketPolicy") {
			if !refersTo(p.Properties["Bucket"], bucket) {
				continue
			}
			// Every Allow is CloudFront's, for this distribution (the
			// Deny of plain HTTP names everyone, as it should).
			for _, st := range p.Properties["PolicyDocument"].(map[string]any)["Statement"].([]any) {
				st := st.(map[string]any)
				if st["Effect"] != "Allow" {
					continue
				}
				if mustJSON(st["Principal"]) != `{"Service":"cloudfront.amazonaws.com"}` || !refersTo(st["Condition"], dist) {
					t.Errorf("%s: allows %s to %s", id, mustJSON(st["Action"]), mustJSON(st["Principal"]))
				}
			}
		}
		s.template.ResourceCountIs(jsii.String("AWS::CloudFront::OriginAccessControl"), jsii.Number(1))
	})

	t.Run("SecurityHeaders", func(t *testing.T) {
		var csp string
		for _, p := range s.ofType("AWS::CloudFront::ResponseHeadersPolicy") {
			csp = mustJSON(p.Properties["ResponseHeadersPolicyConfig"].(map[string]any)["SecurityHeadersConfig"])
		}
		for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'",
			"execute-api.", "amazoncognito.com", `"ReferrerPolicy":"no-referrer"`, `"FrameOption":"DENY"`} {
			if !strings.Contains(csp, want) {
				t.Errorf("security headers lack %q: %s", want, csp)
			}
		}
		if strings.Contains(csp, "unsafe-") {
			t.Errorf("the CSP allows unsafe sources: %s", csp)
		}
	})

	t.Run("Distribution", func(t *testing.T) {
		s.template.HasResourceProperties(jsii.String("AWS::CloudFront::Distribution"), map[string]any{
			"DistributionConfig": assertions.Match_ObjectLike(&map[string]any{
				"DefaultRootObject": "index.html",
				"DefaultCacheBehavior": assertions.Match_ObjectLike(&map[string]any{
					"ViewerProtocolPolicy": "redirect-to-https",
				}),
				"CustomErrorResponses": []map[string]any{
					{"ErrorCode": 403, "ResponseCode": 200, "ResponsePagePath": "/index.html", "ErrorCachingMinTTL": 0},
					{"ErrorCode": 404, "ResponseCode": 200, "ResponsePagePath": "/index.html", "ErrorCachingMinTTL": 0},
				},
			}),
		})
	})

	t.Run("LinksAndSignIn", func(t *testing.T) {
		vars := s.resources[s.logicalID(t, "GetMe/Function")].Properties["Environment"].(map[string]any)["Variables"].(map[string]any)
		if !refersTo(vars[deploy.EnvAppURL], dist) {
			t.Errorf("APP_URL %v is not the console's URL", vars[deploy.EnvAppURL])
		}
		client := s.resources[s.logicalID(t, "UserPool/AppClient")].Properties
		if !refersTo(client["CallbackURLs"], dist) || !strings.Contains(mustJSON(client["CallbackURLs"]), "/auth/callback") {
			t.Errorf("callback URLs %v are not the console's /auth/callback", client["CallbackURLs"])
		}
		if flows := mustJSON(client["AllowedOAuthFlows"]); flows != `["code"]` {
			t.Errorf("OAuth flows %s, want code only", flows)
		}
		s.template.ResourceCountIs(jsii.String("AWS::Cognito::UserPoolDomain"), jsii.Number(1))
		for _, o := range []string{"ConsoleUrl", "ConsoleBucketName", "ConsoleConfig"} {
			if _, ok := s.outputs[o]; !ok {
				t.Errorf("no output %s", o)
			}
		}
		if cfg := mustJSON(s.outputs["ConsoleConfig"]); !strings.Contains(cfg, `apiUrl`) || !strings.Contains(cfg, `oidcDomain`) {
			t.Errorf("ConsoleConfig %s lacks the API URL or the sign-in domain", cfg)
		}
	})

	t.Run("ExternalIssuer", func(t *testing.T) {
		small := smallStack(t)
		small.template.ResourceCountIs(jsii.String("AWS::Cognito::UserPoolDomain"), jsii.Number(0))
		cfg := mustJSON(small.outputs["ConsoleConfig"])
		for _, want := range []string{"https://login.example.com", "orgplane-web", "https://api.example.com"} {
			if !strings.Contains(cfg, want) {
				t.Errorf("ConsoleConfig %s lacks %s", cfg, want)
			}
		}
	})
}
