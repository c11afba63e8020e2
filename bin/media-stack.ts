/**
 * The example app's stack: a Lightsail bucket, a rotating access key for it, and a role that may read the key from
 * its secret. The README's usage example is the region between the "usage" markers (a test keeps them equal).
 */
// usage:start
import { CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
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

    // The secret access key goes straight into Secrets Manager. Every 30 days a new key replaces it; the one before
    // keeps working for a day.
    const key = new BucketAccessKey(this, 'MediaKey', {
      bucket,
      encryptionKey: new kms.Key(this, 'SecretsKey', { enableKeyRotation: true }),
      rotation: { automaticallyAfter: Duration.days(30), gracePeriod: Duration.days(1) },
    });
    key.grantRead(new iam.Role(this, 'Uploader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') }));
    new CfnOutput(this, 'AccessKeyId', { value: key.accessKeyId });
    new CfnOutput(this, 'KeySecretArn', { value: key.secret.secretArn });
  }
}
// usage:end
