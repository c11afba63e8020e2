/**
 * A key is an aws-cdk resource like `iam.AccessKey`: `IResource` (stack, env, applyRemovalPolicy) with its
 * attributes on the interface.
 */
import { App, RemovalPolicies, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { BucketAccessKey, type IBucketAccessKey } from '../../lib';
import { RESOURCE_TYPE } from '../../lib/contract';

function newStack(region?: string): Stack {
  return new Stack(new App(), 'TestStack', region ? { env: { account: '123456789012', region } } : undefined);
}

describe('IBucketAccessKey', () => {
  test('is an IResource: its stack, its environment, and the attributes a consumer needs', () => {
    const stack = newStack('eu-west-1');
    const key: IBucketAccessKey = new BucketAccessKey(stack, 'Key', { bucketName: 'media-assets' });
    expect(key.stack).toBe(stack);
    expect(key.env).toEqual({ account: '123456789012', region: 'eu-west-1' });
    expect(key.bucketName).toBe('media-assets');
    expect(key.secret.stack).toBe(stack);
    expect(key.secret.env).toEqual(key.env);
    const role = new iam.Role(stack, 'Consumer', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    expect(key.grantRead(role).success).toBe(true);
  });
});

describe('applyRemovalPolicy', () => {
  test.each([
    [RemovalPolicy.DESTROY, RemovalPolicy.RETAIN, 'Retain', 'retain'],
    [RemovalPolicy.RETAIN, RemovalPolicy.DESTROY, 'Delete', 'destroy'],
  ])(
    'from %s to %s: both resources, and what the handler does on Delete',
    (initial, applied, deletionPolicy, handlerPolicy) => {
      const stack = newStack();
      const key = new BucketAccessKey(stack, 'Key', { bucketName: 'media-assets', removalPolicy: initial });
      key.applyRemovalPolicy(applied);
      const template = Template.fromStack(stack);
      template.hasResource('AWS::SecretsManager::Secret', {
        DeletionPolicy: deletionPolicy,
        UpdateReplacePolicy: deletionPolicy,
      });
      template.hasResource(RESOURCE_TYPE, {
        DeletionPolicy: deletionPolicy,
        UpdateReplacePolicy: deletionPolicy,
        Properties: Match.objectLike({ RemovalPolicy: handlerPolicy }),
      });
    },
  );

  test.each([
    ['destroy()', RemovalPolicy.RETAIN, (scope: Stack) => RemovalPolicies.of(scope).destroy(), 'destroy'],
    ['retain()', RemovalPolicy.DESTROY, (scope: Stack) => RemovalPolicies.of(scope).retain(), 'retain'],
  ])(
    'RemovalPolicies.of(stack).%s, an aspect over the CloudFormation resources, reaches what the handler does',
    (_, initial, apply, handlerPolicy) => {
      const stack = newStack();
      new BucketAccessKey(stack, 'Key', { bucketName: 'media-assets', removalPolicy: initial });
      apply(stack);
      Template.fromStack(stack).hasResource(RESOURCE_TYPE, {
        DeletionPolicy: handlerPolicy === 'retain' ? 'Retain' : 'Delete',
        Properties: Match.objectLike({ RemovalPolicy: handlerPolicy }),
      });
    },
  );

  test.each([RemovalPolicy.SNAPSHOT, RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE])(
    '%s is refused with the error the prop gives, and changes nothing',
    (policy) => {
      const stack = newStack();
      const key = new BucketAccessKey(stack, 'Key', { bucketName: 'media-assets' });
      expect(() => key.applyRemovalPolicy(policy)).toThrow(
        `BucketAccessKey TestStack/Key: removalPolicy ${policy} is not supported: use RemovalPolicy.DESTROY or RemovalPolicy.RETAIN.`,
      );
      expect(() => new BucketAccessKey(stack, 'Other', { bucketName: 'other-assets', removalPolicy: policy })).toThrow(
        `BucketAccessKey TestStack/Other: removalPolicy ${policy} is not supported: use RemovalPolicy.DESTROY or RemovalPolicy.RETAIN.`,
      );
      Template.fromStack(stack).hasResource(RESOURCE_TYPE, {
        DeletionPolicy: 'Delete',
        Properties: Match.objectLike({ RemovalPolicy: 'destroy' }),
      });
    },
  );
});
