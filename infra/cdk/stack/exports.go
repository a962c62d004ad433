package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"

	"github.com/orgplane/orgplane/infra/deploy"
	"github.com/orgplane/orgplane/shared/exports"
)

// What a function may do with the export bucket's files, and only under
// exports.Prefix: the builder writes them, the status routes presign
// downloads of them (a presigned URL carries the signer's permission).
var (
	ExportReadActions  = []string{"s3:GetObject"}
	ExportWriteActions = []string{"s3:PutObject"}
)

// exportBucket holds the export files: private (public access blocked,
// ACLs off), encrypted at rest, reachable over TLS only, every file
// removed after exports.Retention, as its job item is.
func (s *orgplane) exportBucket() awss3.Bucket {
	days := exports.Retention.Hours() / 24
	return awss3.NewBucket(s.stack, jsii.String("ExportBucket"), &awss3.BucketProps{
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		EnforceSSL:        jsii.Bool(true),
		Versioned:         jsii.Bool(false),
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Id:                                  jsii.String("ExpireExports"),
			Expiration:                          awscdk.Duration_Days(jsii.Number(days)),
			AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(1)),
		}},
		RemovalPolicy: s.removal,
	})
}

// exportStatements are what the function may do in the export bucket.
func (s *orgplane) exportStatements(f deploy.Function) []awsiam.PolicyStatement {
	var actions []string
	switch f.Exports {
	case deploy.ReadExports:
		actions = ExportReadActions
	case deploy.WriteExports:
		actions = ExportWriteActions
	default:
		return nil
	}
	return []awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Effect: awsiam.Effect_ALLOW, Actions: jsii.Strings(actions...),
		Resources: &[]*string{s.exports.ArnForObjects(jsii.String(exports.Prefix + "*"))},
	})}
}
