/**
 * Integration test against a real account: a Lightsail bucket with a BucketAccessKey, checked with AWS API calls,
 * then destroyed. CI only compares the synthesized templates with the committed snapshot; see the README.
 */
import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, Stack } from 'aws-cdk-lib';
import * as lightsail from 'aws-cdk-lib/aws-lightsail';
import { BucketAccessKey } from '../lib';

const app = new App();
const stack = new Stack(app, 'BucketAccessKeyInteg');

// Lightsail bucket names are unique per region across all AWS accounts. The name is fixed so that the snapshot is
// stable, and suffixed so that it is unlikely to be taken; change the suffix if it is.
const bucket = new lightsail.CfnBucket(stack, 'Bucket', {
  bucketName: 'integ-bucket-access-key-k7q2x9',
  bundleId: 'small_1_0',
});

// Default removal policy (DESTROY): destroying the stack deletes the key and its secret, then the bucket.
const key = new BucketAccessKey(stack, 'Key', { bucket });

const integ = new IntegTest(app, 'BucketAccessKeyIntegTest', {
  testCases: [stack],
  // integ-runner destroys both stacks after the assertions (cdkCommandOptions.destroy is on by default).
  // No update workflow: it would first deploy the committed snapshot, bundles included. Without it, integ-runner
  // leaves the handler bundle out of the snapshot. Replacement and rollback are covered by test/lifecycle.
  stackUpdateWorkflow: false,
  // The handler bundle's hash is part of the snapshot, so a changed handler shows as a snapshot change.
  diffAssets: true,
});

// (a) Lightsail lists the key on the bucket, active.
integ.assertions.awsApiCall('Lightsail', 'GetBucketAccessKeys', { bucketName: bucket.bucketName }).expect(
  ExpectedResult.objectLike({
    accessKeys: Match.arrayWith([Match.objectLike({ accessKeyId: key.accessKeyId, status: 'Active' })]),
  }),
);

// (b) The key's secret exists under this stack's prefix. DescribeSecret, not GetSecretValue: the assertion
// provider logs every API response in full, before outputPaths filtering, so GetSecretValue would put the
// secret access key into its CloudWatch logs.
integ.assertions.awsApiCall('SecretsManager', 'DescribeSecret', { SecretId: key.secret.secretArn }).expect(
  ExpectedResult.objectLike({
    ARN: key.secret.secretArn,
    Name: Match.stringLikeRegexp(`^lightsail-bucket-access-key/${stack.stackName}/${bucket.bucketName}/`),
  }),
);
