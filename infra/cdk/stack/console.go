package stack

import (
	"net/url"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfront"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfrontorigins"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"

	"github.com/orgplane/orgplane/shared/console"
)

// webConsole is where the web console is served from: a private bucket
// read only by a CloudFront distribution (origin access control) that
// adds the security headers. `make deploy` uploads the build and its
// config.json (the ConsoleConfig output) after cdk deploy: the stack uses
// no bucket-deployment custom resource (no helper functions).
type webConsole struct {
	bucket       awss3.Bucket
	distribution awscloudfront.Distribution
	// url is https://<distribution domain>, the console's origin.
	url *string
}

func (s *orgplane) webConsole() *webConsole {
	bucket := awss3.NewBucket(s.stack, jsii.String("ConsoleBucket"), &awss3.BucketProps{
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		EnforceSSL:        jsii.Bool(true),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		Versioned:         jsii.Bool(false),
		// Only the build lives here (make deploy uploads it again). A dev
		// stack's is deleted with it, once emptied (S3 refuses to delete a
		// bucket that holds objects; the README says how); others are kept.
		RemovalPolicy: s.removal,
	})

	// Calls from the console go to the API (on execute-api or its custom
	// domain) and, for the sign-in, to the issuer and Cognito's domain.
	region := *s.stack.Region()
	connect := []string{"https://*.execute-api." + region + "." + *s.stack.UrlSuffix()}
	if s.cfg.DomainName != "" {
		connect = append(connect, "https://"+s.cfg.DomainName)
	}
	if s.cfg.OIDCIssuer != "" {
		connect = append(connect, originOf(s.cfg.OIDCIssuer))
	} else {
		connect = append(connect, "https://cognito-idp."+region+"."+*s.stack.UrlSuffix(),
			"https://*.auth."+region+".amazoncognito.com")
	}
	headers := awscloudfront.NewResponseHeadersPolicy(s.stack, jsii.String("ConsoleHeaders"), &awscloudfront.ResponseHeadersPolicyProps{
		Comment: jsii.String("Orgplane console: strict CSP and security headers."),
		SecurityHeadersBehavior: &awscloudfront.ResponseSecurityHeadersBehavior{
			ContentSecurityPolicy: &awscloudfront.ResponseHeadersContentSecurityPolicy{
				ContentSecurityPolicy: jsii.String(console.CSP(connect...)), Override: jsii.Bool(true),
			},
			ContentTypeOptions: &awscloudfront.ResponseHeadersContentTypeOptions{Override: jsii.Bool(true)},
			FrameOptions: &awscloudfront.ResponseHeadersFrameOptions{
				FrameOption: awscloudfront.HeadersFrameOption_DENY, Override: jsii.Bool(true),
			},
			// An invitation page's URL holds its token: never send it on.
			ReferrerPolicy: &awscloudfront.ResponseHeadersReferrerPolicy{
				ReferrerPolicy: awscloudfront.HeadersReferrerPolicy_NO_REFERRER, Override: jsii.Bool(true),
			},
			StrictTransportSecurity: &awscloudfront.ResponseHeadersStrictTransportSecurity{
				AccessControlMaxAge: awscdk.Duration_Days(jsii.Number(365)), IncludeSubdomains: jsii.Bool(true), Override: jsii.Bool(true),
			},
		},
	})
	// An app route (/invitations/{token}, /organizations/…) names no
	// object: S3 answers 403 to CloudFront, which serves the app instead.
	spa := func(status float64) *awscloudfront.ErrorResponse {
		return &awscloudfront.ErrorResponse{
			HttpStatus: jsii.Number(status), ResponseHttpStatus: jsii.Number(200),
			ResponsePagePath: jsii.String("/index.html"), Ttl: awscdk.Duration_Seconds(jsii.Number(0)),
		}
	}
	dist := awscloudfront.NewDistribution(s.stack, jsii.String("Console"), &awscloudfront.DistributionProps{
		Comment:           jsii.String("Orgplane web console (" + s.cfg.StackName() + ")."),
		DefaultRootObject: jsii.String("index.html"),
		DefaultBehavior: &awscloudfront.BehaviorOptions{
			Origin:                awscloudfrontorigins.S3BucketOrigin_WithOriginAccessControl(bucket, nil),
			ViewerProtocolPolicy:  awscloudfront.ViewerProtocolPolicy_REDIRECT_TO_HTTPS,
			CachePolicy:           awscloudfront.CachePolicy_CACHING_OPTIMIZED(),
			ResponseHeadersPolicy: headers,
			Compress:              jsii.Bool(true),
		},
		ErrorResponses:         &[]*awscloudfront.ErrorResponse{spa(403), spa(404)},
		MinimumProtocolVersion: awscloudfront.SecurityPolicyProtocol_TLS_V1_2_2021,
		HttpVersion:            awscloudfront.HttpVersion_HTTP2_AND_3,
		PriceClass:             awscloudfront.PriceClass_PRICE_CLASS_100,
	})
	return &webConsole{bucket: bucket, distribution: dist, url: jsii.String("https://" + *dist.DistributionDomainName())}
}

// config is the console's /config.json, as a JSON string (tokens resolved
// by CloudFormation): the ConsoleConfig output make deploy uploads.
func (c *webConsole) config(s *orgplane, oidcAuthority, clientID, domain *string) *string {
	cfg := map[string]any{"apiUrl": s.apiURL(), "auth": "oidc", "oidcAuthority": oidcAuthority, "oidcClientId": clientID}
	if domain != nil {
		cfg["oidcDomain"] = domain
	}
	return s.stack.ToJsonString(cfg, nil)
}

// originOf is scheme://host of an https URL (ReadConfig checked it).
func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Scheme + "://" + u.Host
}
