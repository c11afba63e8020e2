/**
 * The example app's stack: a Lightsail bucket, an access key for it, and a function that reads the key from its
 * secret. The README's usage example is the region between the "usage" markers (a test keeps them equal).
 */
// usage:start
import { CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as lightsail from 'aws-cdk-lib/aws-lightsail';
import type { Construct } from 'constructs';
import { BucketAccessKey } from '../lib';

export class MediaStack extends Stack {
  constructor(scope: Construct, id: string) {
    super(scope, id);

    const bucket = new lightsail.CfnBucket(this, 'Bucket', {
      bucketName: 'media-assets-example',
      bundleId: 'small_1_0',
    });

    // The key's secret access key goes straight into Secrets Manager, encrypted with a key of your own; the
    // template never holds it. Every 30 days a new key replaces it; the previous one keeps working for a day.
    const encryptionKey = new kms.Key(this, 'SecretsKey', { enableKeyRotation: true });
    const key = new BucketAccessKey(this, 'MediaKey', {
      bucket,
      encryptionKey,
      rotation: { automaticallyAfter: Duration.days(30), gracePeriod: Duration.days(1) },
    });

    // A consumer: reads the key from the secret when it runs (rotation changes it).
    const reader = new lambda.Function(this, 'Uploader', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline(`
        const { SecretsManagerClient, GetSecretValueCommand } = require('@aws-sdk/client-secrets-manager');
        const sm = new SecretsManagerClient({});
        exports.handler = async () => {
          const out = await sm.send(new GetSecretValueCommand({ SecretId: process.env.KEY_SECRET_ARN }));
          const { accessKeyId, bucketName, endpoint } = JSON.parse(out.SecretString);
          return { accessKeyId, bucketName, endpoint };
        };
      `),
      environment: { KEY_SECRET_ARN: key.secret.secretArn },
    });
    key.grantRead(reader);

    new CfnOutput(this, 'AccessKeyId', { value: key.accessKeyId });
    new CfnOutput(this, 'KeySecretArn', { value: key.secret.secretArn });
  }
}
// usage:end
