import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lightsail from 'aws-cdk-lib/aws-lightsail';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { BucketAccessKey, type BucketAccessKeyRotation } from '../../lib';
import { GRACE_PERIOD_TAG, RESOURCE_TYPE, ROTATION_TAG } from '../../lib/contract';
import { STACK_ID, STACK_UUID, resolveForStack } from '../support/deployed-stack';

function stackWithKey(rotation?: BucketAccessKeyRotation, more: Record<string, unknown> = {}) {
  const app = new App();
  const stack = new Stack(app, 'TestStack');
  const bucket = new lightsail.CfnBucket(stack, 'Bucket', { bucketName: 'media-assets', bundleId: 'small_1_0' });
  const key = new BucketAccessKey(stack, 'Key', { bucket, rotation, ...more });
  return { app, stack, bucket, key };
}

const resourceIdOf = (stack: Stack, key: BucketAccessKey) =>
  stack.getLogicalId(key.node.findChild('Resource').node.defaultChild as any);

describe('scheduled rotation', () => {
  test('a rotation schedule on the key secret, after the custom resource wrote it, with the stack rotation handler', () => {
    const { stack, key } = stackWithKey({ automaticallyAfter: Duration.days(30) });
    const template = Template.fromStack(stack);
    const rotationFn = Object.entries(template.findResources('AWS::Lambda::Function')).find(([id]) =>
      id.includes('RotationHandler'),
    )!;

    const secretId = Object.keys(template.findResources('AWS::SecretsManager::Secret'))[0];
    template.hasResource('AWS::SecretsManager::RotationSchedule', {
      DependsOn: Match.arrayWith([resourceIdOf(stack, key)]),
    });
    template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      SecretId: { Ref: secretId },
      RotationLambdaARN: { 'Fn::GetAtt': [rotationFn[0], 'Arn'] },
      RotationRules: { ScheduleExpression: 'rate(30 days)' },
      RotateImmediatelyOnUpdate: false,
    });
    expect((rotationFn[1] as any).Properties.Runtime).toMatch(/^nodejs(2[2-9]|[3-9]\d)\.x$/);
    template.hasResourceProperties('AWS::Lambda::Permission', {
      FunctionName: { 'Fn::GetAtt': [rotationFn[0], 'Arn'] },
      Principal: 'secretsmanager.amazonaws.com',
      SourceAccount: { Ref: 'AWS::AccountId' },
    });
  });

  test('one rotation handler per stack; only it lists secrets, only the key handler restores one', () => {
    const app = new App();
    const stack = new Stack(app, 'TestStack');
    for (const name of ['bucket-one', 'bucket-two']) {
      new BucketAccessKey(stack, name, { bucketName: name, rotation: { automaticallyAfter: Duration.days(7) } });
    }
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Lambda::Function', 2);
    template.resourceCountIs('AWS::SecretsManager::RotationSchedule', 2);
    const policies = Object.entries(template.findResources('AWS::IAM::Policy'));
    const actionsOf = (fragment: string) =>
      policies
        .filter(([id]) => id.includes(fragment))
        .flatMap(([, p]: [string, any]) =>
          p.Properties.PolicyDocument.Statement.flatMap((s: any) => [s.Action].flat()),
        );
    expect(actionsOf('ProviderRotationRole')).toEqual(
      expect.arrayContaining(['secretsmanager:UpdateSecretVersionStage', 'secretsmanager:ListSecrets']),
    );
    expect(actionsOf('ProviderRotationRole')).not.toContain('secretsmanager:RestoreSecret');
    expect(actionsOf('ProviderRoleDefaultPolicy')).not.toContain('secretsmanager:ListSecrets');
  });

  test('the rotation handler may touch only this stack key secrets and the keys buckets', () => {
    const { stack } = stackWithKey({ automaticallyAfter: Duration.days(30) });
    const policy: any = Object.entries(Template.fromStack(stack).findResources('AWS::IAM::Policy')).find(([id]) =>
      id.includes('RotationRole'),
    )![1];
    const statements = policy.Properties.PolicyDocument.Statement;
    const secrets = statements.find((s: any) => [s.Action].flat().includes('secretsmanager:PutSecretValue'));
    const handlerSecrets = (id: string) =>
      Object.entries(Template.fromStack(stack).findResources('AWS::IAM::Policy'))
        .find(([policyId]) => policyId.includes(id))![1]
        .Properties.PolicyDocument.Statement.find((s: any) =>
          [s.Action].flat().includes('secretsmanager:PutSecretValue'),
        );
    // The same scope as the custom resource handler's: this stack's key secrets.
    expect(secrets.Resource).toEqual(handlerSecrets('ProviderRoleDefaultPolicy').Resource);
    const keys = statements.find((s: any) => [s.Action].flat().includes('lightsail:CreateBucketAccessKey'));
    expect(keys.Resource).toEqual({ 'Fn::GetAtt': ['Bucket', 'BucketArn'] });
  });

  test.each([
    ['every 12 hours', { automaticallyAfter: Duration.hours(12) }, 'rate(12 hours)'],
    ['every day', { automaticallyAfter: Duration.days(1) }, 'rate(1 days)'],
    ['a cron expression', { scheduleExpression: 'cron(0 4 ? * SUN *)' }, 'cron(0 4 ? * SUN *)'],
  ])('%s is scheduled', (_, rotation, expression) => {
    const { stack } = stackWithKey(rotation);
    Template.fromStack(stack).hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      RotationRules: { ScheduleExpression: expression },
    });
  });

  test('rotating right away is a choice', () => {
    const { stack } = stackWithKey({ automaticallyAfter: Duration.days(30), rotateImmediatelyOnUpdate: true });
    Template.fromStack(stack).hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      RotateImmediatelyOnUpdate: true,
    });
  });

  test.each([
    ['no schedule', {}, 'rotation needs exactly one of `automaticallyAfter` and `scheduleExpression`.'],
    ['two schedules', { automaticallyAfter: Duration.days(1), scheduleExpression: 'rate(1 day)' }, 'exactly one of'],
    [
      'a malformed expression',
      { scheduleExpression: 'every day' },
      'rotation.scheduleExpression "every day" is not a rate(...) or cron(...) expression.',
    ],
    ['2 hours', { automaticallyAfter: Duration.hours(2) }, 'must be whole hours, from 4 hours to 1,000 days.'],
    ['4.5 hours', { automaticallyAfter: Duration.minutes(270) }, 'must be whole hours'],
    ['1,001 days', { automaticallyAfter: Duration.days(1001) }, 'must be whole hours, from 4 hours to 1,000 days.'],
    [
      'a grace period as long as the interval',
      { automaticallyAfter: Duration.days(7), gracePeriod: Duration.days(7) },
      'must be shorter than the rotation interval',
    ],
    [
      'a grace period under an hour',
      { automaticallyAfter: Duration.days(7), gracePeriod: Duration.minutes(30) },
      'must be at least one hour',
    ],
  ] as Array<[string, BucketAccessKeyRotation, string]>)('rotation with %s is rejected', (_, rotation, message) => {
    expect(() => stackWithKey(rotation)).toThrow(message);
  });

  test("a grace period: the key secret's tags give it, and an hourly schedule asks the rotation handler to end it", () => {
    const { stack } = stackWithKey({ automaticallyAfter: Duration.days(30), gracePeriod: Duration.days(2) });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Tags: Match.arrayWith([
        { Key: GRACE_PERIOD_TAG, Value: '172800' },
        { Key: ROTATION_TAG, Value: 'rate(30 days)' },
      ]),
    });
    const rule: any = Object.values(template.findResources('AWS::Events::Rule'))[0];
    expect(rule.Properties.ScheduleExpression).toBe('rate(1 hour)');
    // The input names the stack's key secrets by their name prefix, not one by one: its size does not grow.
    const input = resolveForStack(rule.Properties.Targets[0].Input, STACK_ID);
    expect(JSON.parse(input)).toEqual({
      expireGracePeriods: { secretNamePrefix: `lightsail-bucket-access-key/TestStack/${STACK_UUID}/` },
    });
  });

  test('100 keys with a grace period share one schedule whose input has the same size as for one', () => {
    const app = new App();
    const stack = new Stack(app, 'TestStack');
    const rotation = { automaticallyAfter: Duration.days(30), gracePeriod: Duration.days(1) };
    for (let i = 0; i < 100; i++) new BucketAccessKey(stack, `Key${i}`, { bucketName: `bucket-${i}`, rotation });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Events::Rule', 1);
    const rule: any = Object.values(template.findResources('AWS::Events::Rule'))[0];
    expect(resolveForStack(rule.Properties.Targets[0].Input, STACK_ID).length).toBeLessThan(150);
  });

  test("a key's secret refuses addRotationSchedule, naming the rotation prop", () => {
    const { key } = stackWithKey({ automaticallyAfter: Duration.days(30) });
    const rotationLambda = lambda.Function.fromFunctionArn(key, 'Other', 'arn:aws:lambda:eu-west-1:1:function:x');
    expect(() => key.secret.addRotationSchedule('Mine', { rotationLambda })).toThrow(
      /BucketAccessKey .*: its secret rotates through the key's own rotation.*Give the BucketAccessKey the `rotation` prop/,
    );
  });

  test("the key's custom resource knows the schedule, so that a change of it reaches the handler first", () => {
    const { stack, key } = stackWithKey({ automaticallyAfter: Duration.days(30) });
    const template = Template.fromStack(stack);
    template.hasResourceProperties(RESOURCE_TYPE, { RotationSchedule: 'rate(30 days)' });
    const schedule: any = Object.values(template.findResources('AWS::SecretsManager::RotationSchedule'))[0];
    expect(schedule.DependsOn).toContain(resourceIdOf(stack, key));
  });

  test.each([
    [true, 'true'],
    [false, undefined],
  ])(
    'rotateImmediatelyOnUpdate %s reaches the custom resource too, so that a rollback that turns it back reaches the handler first',
    (rotateImmediatelyOnUpdate, expected) => {
      const { stack, key } = stackWithKey({ automaticallyAfter: Duration.days(30), rotateImmediatelyOnUpdate });
      const resource = Template.fromStack(stack).toJSON().Resources[resourceIdOf(stack, key)];
      expect(resource.Properties.RotateImmediatelyOnUpdate).toBe(expected);
    },
  );

  test('without a grace period there is no schedule', () => {
    const { stack } = stackWithKey({ automaticallyAfter: Duration.days(30) });
    Template.fromStack(stack).resourceCountIs('AWS::Events::Rule', 0);
  });

  test('a rotating key needs its bucket to itself: the error explains the slot arithmetic', () => {
    const { app, stack, bucket } = stackWithKey({ automaticallyAfter: Duration.days(30) });
    new BucketAccessKey(stack, 'Other', { bucket });
    expect(() => app.synth()).toThrow(
      /Bucket "media-assets" needs 3 key slots \(TestStack\/Key rotates: 2, TestStack\/Other: 1\).*A rotating key uses two: the current key and the previous one during its grace period/,
    );
  });

  test('no rotation, no rotation resources', () => {
    const { stack } = stackWithKey();
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SecretsManager::RotationSchedule', 0);
    template.resourceCountIs('AWS::Lambda::Function', 1);
  });
});

describe('log retention', () => {
  test('one year by default', () => {
    const { stack } = stackWithKey();
    Template.fromStack(stack).hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 365 });
  });

  test('any key may set it for the stack handlers', () => {
    const { stack } = stackWithKey(undefined, { logRetention: logs.RetentionDays.ONE_MONTH });
    Template.fromStack(stack).hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  test('forever is no retention setting', () => {
    const { stack } = stackWithKey(undefined, { logRetention: logs.RetentionDays.INFINITE });
    Template.fromStack(stack).hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: Match.absent() });
  });

  test('keys of one stack that disagree are an error naming both', () => {
    const { stack } = stackWithKey(undefined, { logRetention: logs.RetentionDays.ONE_MONTH });
    expect(
      () =>
        new BucketAccessKey(stack, 'Second', { bucketName: 'other-bucket', logRetention: logs.RetentionDays.ONE_WEEK }),
    ).toThrow('BucketAccessKey TestStack/Second: logRetention 7 differs from 30, set by TestStack/Key.');
  });
});
