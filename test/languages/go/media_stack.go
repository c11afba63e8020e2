package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
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

	// The key's secret access key goes straight into Secrets Manager, encrypted with a key of your own; the
	// template never holds it. Every 30 days a new key replaces it; the previous one keeps working for a day.
	encryptionKey := awskms.NewKey(stack, jsii.String("SecretsKey"), &awskms.KeyProps{
		EnableKeyRotation: jsii.Bool(true),
	})
	key := cdklightsailbucketaccesskey.NewBucketAccessKey(stack, jsii.String("MediaKey"), &cdklightsailbucketaccesskey.BucketAccessKeyProps{
		Bucket:        bucket,
		EncryptionKey: encryptionKey,
		Rotation: &cdklightsailbucketaccesskey.BucketAccessKeyRotation{
			AutomaticallyAfter: awscdk.Duration_Days(jsii.Number(30)),
			GracePeriod:        awscdk.Duration_Days(jsii.Number(1)),
		},
	})

	// A consumer: reads the key from the secret when it runs (rotation changes it).
	reader := awslambda.NewFunction(stack, jsii.String("Uploader"), &awslambda.FunctionProps{
		Runtime: awslambda.Runtime_NODEJS_24_X(),
		Handler: jsii.String("index.handler"),
		Code: awslambda.Code_FromInline(jsii.String(`
        const { SecretsManagerClient, GetSecretValueCommand } = require('@aws-sdk/client-secrets-manager');
        const sm = new SecretsManagerClient({});
        exports.handler = async () => {
          const out = await sm.send(new GetSecretValueCommand({ SecretId: process.env.KEY_SECRET_ARN }));
          const { accessKeyId, bucketName, endpoint } = JSON.parse(out.SecretString);
          return { accessKeyId, bucketName, endpoint };
        };
      `)),
		Environment: &map[string]*string{
			"KEY_SECRET_ARN": key.Secret().SecretArn(),
		},
	})
	key.GrantRead(reader)

	awscdk.NewCfnOutput(stack, jsii.String("AccessKeyId"), &awscdk.CfnOutputProps{Value: key.AccessKeyId()})
	awscdk.NewCfnOutput(stack, jsii.String("KeySecretArn"), &awscdk.CfnOutputProps{Value: key.Secret().SecretArn()})
	return stack
}
