package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslightsail"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdk-lightsail-bucket-access-key/cdk-lightsail-bucket-access-key-go/cdklightsailbucketaccesskey"
)

func NewMediaStack(scope constructs.Construct, id string) awscdk.Stack {
	stack := awscdk.NewStack(scope, &id, nil)
	bucket := awslightsail.NewCfnBucket(stack, jsii.String("Bucket"), &awslightsail.CfnBucketProps{
		BucketName: jsii.String("media-assets-example"),
		BundleId:   jsii.String("small_1_0"),
	})

	// The secret access key goes straight into Secrets Manager. Every 30 days a new key replaces it; the one before
	// keeps working for a day.
	key := cdklightsailbucketaccesskey.NewBucketAccessKey(stack, jsii.String("MediaKey"), &cdklightsailbucketaccesskey.BucketAccessKeyProps{
		Bucket:        bucket,
		EncryptionKey: awskms.NewKey(stack, jsii.String("SecretsKey"), &awskms.KeyProps{EnableKeyRotation: jsii.Bool(true)}),
		Rotation: &cdklightsailbucketaccesskey.BucketAccessKeyRotation{
			AutomaticallyAfter: awscdk.Duration_Days(jsii.Number(30)),
			GracePeriod:        awscdk.Duration_Days(jsii.Number(1)),
		},
	})
	key.GrantRead(awsiam.NewRole(stack, jsii.String("Uploader"), &awsiam.RoleProps{
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
	}))
	awscdk.NewCfnOutput(stack, jsii.String("AccessKeyId"), &awscdk.CfnOutputProps{Value: key.AccessKeyId()})
	awscdk.NewCfnOutput(stack, jsii.String("KeySecretArn"), &awscdk.CfnOutputProps{Value: key.Secret().SecretArn()})
	return stack
}
