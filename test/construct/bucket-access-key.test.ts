import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, CfnParameter, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lightsail from 'aws-cdk-lib/aws-lightsail';
import { BucketAccessKey } from '../../lib';
import { RESOURCE_TYPE, SECRET_PLACEHOLDER } from '../../lib/contract';
import { HANDLER_ASSET_DIR } from '../../lib/provider';
import { isStackKeySecret } from '../../lambda/bucket-access-key/decisions';
import { STACK_ID, STACK_UUID, resolveForStack } from '../support/deployed-stack';

function newStack(app = new App(), id = 'TestStack', region?: string): Stack {
  return new Stack(app, id, region ? { env: { region, account: '123456789012' } } : undefined);
}

function newBucket(stack: Stack, name = 'media-assets', id = 'Bucket'): lightsail.CfnBucket {
  return new lightsail.CfnBucket(stack, id, { bucketName: name, bundleId: 'small_1_0' });
}

/** All statements of the shared handler's role policy. */
function handlerStatements(template: Template): any[] {
  const policies = template.findResources('AWS::IAM::Policy', {
    Properties: { PolicyName: Match.stringLikeRegexp('LightsailBucketAccessKeyProvider') },
  });
  return Object.values(policies).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
}

function statementWith(template: Template, action: string): any {
  const found = handlerStatements(template).filter((s) => [s.Action].flat().includes(action));
  expect(found).toHaveLength(1);
  return found[0];
}

describe('BucketAccessKey resources', () => {
  test('a key is one secret and one custom resource that writes the key into it', () => {
    const stack = newStack();
    new BucketAccessKey(stack, 'Key', { bucket: newBucket(stack) });
    const template = Template.fromStack(stack);

    template.resourceCountIs('AWS::SecretsManager::Secret', 1);
    template.resourceCountIs(RESOURCE_TYPE, 1);
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: {
        'Fn::Join': [
          '',
          [
            'lightsail-bucket-access-key/',
            { Ref: 'AWS::StackName' },
            '/',
            { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] },
            Match.stringLikeRegexp('^/media-assets/[0-9a-f]{10}-v0$'),
          ],
        ],
      },
      GenerateSecretString: {
        SecretStringTemplate: '{"status":"awaiting-access-key"}',
        GenerateStringKey: 'placeholder',
        PasswordLength: 16,
        ExcludePunctuation: true,
      },
    });
    const secretId = Object.keys(template.findResources('AWS::SecretsManager::Secret'))[0];
    template.hasResourceProperties(RESOURCE_TYPE, {
      ServiceToken: { 'Fn::GetAtt': [Match.stringLikeRegexp('LightsailBucketAccessKeyProviderHandler'), 'Arn'] },
      SecretArn: { Ref: secretId },
      BucketName: { Ref: 'Bucket' },
      Endpoint: { 'Fn::GetAtt': ['Bucket', 'Url'] },
      RemovalPolicy: 'destroy',
    });
  });

  test("CloudFormation waits 20 minutes for a key's answer, not an hour: the handler's three attempts and Lambda's waits between them", () => {
    const stack = newStack();
    new BucketAccessKey(stack, 'Key', { bucket: newBucket(stack) });
    const template = Template.fromStack(stack);
    const fn: any = Object.values(template.findResources('AWS::Lambda::Function'))[0];
    const resource: any = Object.values(template.findResources(RESOURCE_TYPE))[0];

    // Lambda's asynchronous invocation runs a failed attempt twice more, about 1 and 2 minutes later; 2 minutes spare.
    expect(fn.Properties.Timeout).toBe(300);
    expect(Number(resource.Properties.ServiceTimeout)).toBe(3 * fn.Properties.Timeout + 60 + 120 + 120);
    expect(resource.Properties.ServiceTimeout).toBe('1200');
  });

  test('the secret placeholder is pinned: changing it would make CloudFormation overwrite stored keys', () => {
    expect(SECRET_PLACEHOLDER).toEqual({
      secretStringTemplate: '{"status":"awaiting-access-key"}',
      generateStringKey: 'placeholder',
      passwordLength: 16,
      excludePunctuation: true,
    });
  });

  test('the template holds no secret value: no SecretString, only the placeholder generator', () => {
    const stack = newStack();
    const key = new BucketAccessKey(stack, 'Key', { bucket: newBucket(stack) });
    new iam.User(stack, 'User', { password: key.secretAccessKey });
    const json = JSON.stringify(Template.fromStack(stack).toJSON());
    expect(json).not.toMatch(/"SecretString":/);
    // The secret access key is only ever a dynamic reference, resolved by CloudFormation at deploy time.
    expect(json).toMatch(/\{\{resolve:secretsmanager:/);
  });

  test('one handler per stack, however many keys and buckets', () => {
    const stack = newStack();
    const a = newBucket(stack, 'bucket-a', 'A');
    const b = newBucket(stack, 'bucket-b', 'B');
    new BucketAccessKey(stack, 'K1', { bucket: a });
    new BucketAccessKey(stack, 'K2', { bucket: a });
    new BucketAccessKey(stack, 'K3', { bucket: b });
    new BucketAccessKey(stack, 'K4', { bucketName: 'existing-bucket' });
    const template = Template.fromStack(stack);

    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.resourceCountIs('AWS::IAM::Role', 1);
    template.resourceCountIs('AWS::IAM::Policy', 1);
    template.resourceCountIs(RESOURCE_TYPE, 4);
    template.resourceCountIs('AWS::SecretsManager::Secret', 4);
    // Each bucket ARN appears once, however many keys it has.
    expect(statementWith(template, 'lightsail:CreateBucketAccessKey').Resource).toEqual([
      { 'Fn::GetAtt': ['A', 'BucketArn'] },
      { 'Fn::GetAtt': ['B', 'BucketArn'] },
      {
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':lightsail:',
            { Ref: 'AWS::Region' },
            ':',
            { Ref: 'AWS::AccountId' },
            ':Bucket/*',
          ],
        ],
      },
    ]);
  });

  test('the handler runs on Node.js 22 or newer, from the pre-bundled asset', () => {
    const stack = newStack();
    new BucketAccessKey(stack, 'Key', { bucket: newBucket(stack) });
    const template = Template.fromStack(stack);
    const fn: any = Object.values(template.findResources('AWS::Lambda::Function'))[0];
    expect(fn.Properties.Runtime).toMatch(/^nodejs(2[2-9]|[3-9]\d)\.x$/);
    expect(fn.Properties.Handler).toBe('index.handler');
  });

  test('the deployed code is the pre-bundled asset, byte for byte: synth runs no bundler', () => {
    const app = new App();
    const stack = newStack(app);
    new BucketAccessKey(stack, 'Key', { bucket: newBucket(stack) });
    const assembly = app.synth();
    const fn: any = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'))[0];
    const assetDir = path.join(assembly.directory, `asset.${fn.Properties.Code.S3Key.replace(/\.zip$/, '')}`);
    expect(fs.readFileSync(path.join(assetDir, 'index.js'))).toEqual(
      fs.readFileSync(path.join(HANDLER_ASSET_DIR, 'index.js')),
    );
  });
});

describe('handler permissions', () => {
  test('key creation and deletion are scoped to the bucket ARN of a CfnBucket', () => {
    const stack = newStack();
    new BucketAccessKey(stack, 'Key', { bucket: newBucket(stack) });
    const template = Template.fromStack(stack);
    const statement = statementWith(template, 'lightsail:CreateBucketAccessKey');
    expect(statement.Action).toEqual(['lightsail:CreateBucketAccessKey', 'lightsail:DeleteBucketAccessKey']);
    expect(statement.Resource).toEqual({ 'Fn::GetAtt': ['Bucket', 'BucketArn'] });
  });

  test('a bucket known by name only is reachable in the stack account and region, never "*"', () => {
    const stack = newStack();
    new BucketAccessKey(stack, 'Key', { bucketName: 'existing-bucket' });
    const statement = statementWith(Template.fromStack(stack), 'lightsail:DeleteBucketAccessKey');
    expect(JSON.stringify(statement.Resource)).toContain(':Bucket/*');
    expect(statement.Resource).not.toEqual('*');
  });

  test('past 40 CfnBuckets, the statement stops growing: any bucket of the account and region, with a warning', () => {
    const stack = newStack();
    for (let i = 0; i < 45; i++) {
      new BucketAccessKey(stack, `Key${i}`, { bucket: newBucket(stack, `bucket-${i}`, `Bucket${i}`) });
    }
    const template = Template.fromStack(stack);
    const resources = statementWith(template, 'lightsail:CreateBucketAccessKey').Resource;
    expect(resources).toHaveLength(41);
    expect(resources.slice(0, 40)).toEqual(
      Array.from({ length: 40 }, (_, i) => ({ 'Fn::GetAtt': [`Bucket${i}`, 'BucketArn'] })),
    );
    expect(JSON.stringify(resources[40])).toContain(':Bucket/*');
    Annotations.fromStack(stack).hasWarning(
      '/TestStack/LightsailBucketAccessKeyProvider',
      Match.stringLikeRegexp('Keys of more than 40 CfnBuckets in this stack'),
    );
  });

  test('40 CfnBuckets are each named, without a warning', () => {
    const stack = newStack();
    for (let i = 0; i < 40; i++) {
      new BucketAccessKey(stack, `Key${i}`, { bucket: newBucket(stack, `bucket-${i}`, `Bucket${i}`) });
    }
    const template = Template.fromStack(stack);
    expect(statementWith(template, 'lightsail:CreateBucketAccessKey').Resource).toHaveLength(40);
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });

  test('Secrets Manager access is limited to this stack key secrets', () => {
    const stack = newStack();
    new BucketAccessKey(stack, 'Key', { bucket: newBucket(stack) });
    const statement = statementWith(Template.fromStack(stack), 'secretsmanager:PutSecretValue');
    expect(statement.Action).toEqual([
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
      'secretsmanager:PutSecretValue',
      'secretsmanager:ListSecretVersionIds',
      'secretsmanager:UpdateSecretVersionStage',
      'secretsmanager:RestoreSecret',
    ]);
    expect(resolveForStack(statement.Resource, STACK_ID)).toBe(
      `arn:aws:secretsmanager:eu-west-1:123456789012:secret:lightsail-bucket-access-key/TestStack/${STACK_UUID}/*`,
    );
  });

  test("the handler takes the stack's key secrets for its own, under the name it is deployed with, and not those of a stack deployed again under the same name", () => {
    const stack = newStack(new App(), 'TestStack', 'eu-west-1');
    new BucketAccessKey(stack, 'Key', { bucket: newBucket(stack) });
    const template = Template.fromStack(stack);
    const secret: any = Object.values(template.findResources('AWS::SecretsManager::Secret'))[0];
    const scope = statementWith(template, 'secretsmanager:PutSecretValue').Resource;
    const again = STACK_ID.replace(STACK_UUID, '00000000-1111-2222-3333-444444444444');
    // A StackSet, a Service Catalog product or `aws cloudformation deploy` may deploy it under another name.
    const renamed = STACK_ID.replace('/TestStack/', '/StackSet-media-0a1b2c3d/');

    const arnIn = (stackId: string) =>
      `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${resolveForStack(secret.Properties.Name, stackId)}-AbCdEf`;
    expect(arnIn(STACK_ID).startsWith(resolveForStack(scope, STACK_ID).replace(/\*$/, ''))).toBe(true);
    expect(isStackKeySecret(arnIn(STACK_ID), STACK_ID)).toBe(true);
    expect(arnIn(again)).not.toBe(arnIn(STACK_ID));
    expect(isStackKeySecret(arnIn(STACK_ID), again)).toBe(false);
    expect(arnIn(renamed).startsWith(resolveForStack(scope, renamed).replace(/\*$/, ''))).toBe(true);
    expect(isStackKeySecret(arnIn(renamed), renamed)).toBe(true);
  });

  test('only the three read-only Lightsail actions that have no resource type take "*"', () => {
    const stack = newStack();
    new BucketAccessKey(stack, 'Key', { bucketName: 'existing-bucket' });
    const wildcard = handlerStatements(Template.fromStack(stack)).filter((s) => s.Resource === '*');
    expect(wildcard).toEqual([
      {
        Action: ['lightsail:GetBucketAccessKeys', 'lightsail:GetBuckets', 'lightsail:GetOperation'],
        Effect: 'Allow',
        Resource: '*',
      },
    ]);
  });

  test('the handler logs only to its own log group', () => {
    const stack = newStack();
    new BucketAccessKey(stack, 'Key', { bucket: newBucket(stack) });
    const template = Template.fromStack(stack);
    const statement = statementWith(template, 'logs:PutLogEvents');
    const logGroupId = Object.keys(template.findResources('AWS::Logs::LogGroup'))[0];
    expect(statement.Resource).toEqual({ 'Fn::GetAtt': [logGroupId, 'Arn'] });
    template.resourcePropertiesCountIs('AWS::IAM::Role', { ManagedPolicyArns: Match.anyValue() }, 0);
  });

  test('the keys are deleted before the permissions their Delete needs', () => {
    const stack = newStack();
    new BucketAccessKey(stack, 'Key', { bucket: newBucket(stack) });
    const template = Template.fromStack(stack);
    const policyId = Object.keys(template.findResources('AWS::IAM::Policy'))[0];
    const [fnId, fn]: [string, any] = Object.entries(template.findResources('AWS::Lambda::Function'))[0];
    expect(fn.DependsOn).toContain(policyId);
    template.hasResourceProperties(RESOURCE_TYPE, { ServiceToken: { 'Fn::GetAtt': [fnId, 'Arn'] } });
  });

  test('a customer-managed KMS key encrypts the secret; the handler may use it through Secrets Manager only', () => {
    const stack = newStack();
    const encryptionKey = new kms.Key(stack, 'Cmk');
    new BucketAccessKey(stack, 'Key', { bucket: newBucket(stack), encryptionKey });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('Cmk'), 'Arn'] },
    });
    const statement = statementWith(template, 'kms:GenerateDataKey');
    expect(statement.Action).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    expect(statement.Condition.StringEquals['kms:ViaService']['Fn::Join'][1]).toContain('secretsmanager.');
  });

  test("the handlers' KMS grant names no key: any key, through Secrets Manager, for this stack's key secrets only", () => {
    // The same statement whatever encryptionKey is, and with none: a changed key leaves older versions readable.
    const statements = [undefined, 'Cmk', 'OtherCmk'].map((cmk) => {
      const stack = newStack();
      const encryptionKey = cmk === undefined ? undefined : new kms.Key(stack, cmk);
      new BucketAccessKey(stack, 'Key', { bucket: newBucket(stack), encryptionKey });
      return statementWith(Template.fromStack(stack), 'kms:Decrypt');
    });
    expect(statements[1]).toEqual(statements[0]);
    expect(statements[2]).toEqual(statements[0]);
    const [statement] = statements;
    expect(resolveForStack(statement.Resource, STACK_ID)).toBe('arn:aws:kms:eu-west-1:*:key/*');
    expect(resolveForStack(statement.Condition.StringEquals['kms:ViaService'], STACK_ID)).toBe(
      'secretsmanager.eu-west-1.amazonaws.com',
    );
    expect(resolveForStack(statement.Condition.StringLike['kms:EncryptionContext:SecretARN'], STACK_ID)).toBe(
      `arn:aws:secretsmanager:eu-west-1:123456789012:secret:lightsail-bucket-access-key/TestStack/${STACK_UUID}/*`,
    );
  });

  test('keys of one bucket in a stack deploy one after the other, in the order they were added', () => {
    const stack = newStack();
    const bucket = newBucket(stack);
    const first = new BucketAccessKey(stack, 'First', { bucket });
    const second = new BucketAccessKey(stack, 'Second', { bucket });
    new BucketAccessKey(stack, 'Elsewhere', { bucketName: 'other-bucket' });
    const idOf = (key: BucketAccessKey) => stack.getLogicalId(key.node.findChild('Resource').node.defaultChild as any);
    const resources = Template.fromStack(stack).findResources(RESOURCE_TYPE);
    expect(resources[idOf(second)].DependsOn).toContain(idOf(first));
    expect(resources[idOf(first)].DependsOn ?? []).not.toContain(idOf(second));
    expect(JSON.stringify(resources[idOf(first)].DependsOn ?? [])).not.toContain('Elsewhere');
  });
});

describe('attributes and grants', () => {
  test('consumers reach the secret through the custom resource, after the key was written', () => {
    const stack = newStack();
    const key = new BucketAccessKey(stack, 'Key', { bucket: newBucket(stack) });
    const resourceId = stack.getLogicalId(key.node.findChild('Resource').node.defaultChild as any);
    expect(stack.resolve(key.secret.secretArn)).toEqual({ 'Fn::GetAtt': [resourceId, 'SecretArn'] });
    expect(stack.resolve(key.accessKeyId)).toEqual({ 'Fn::GetAtt': [resourceId, 'AccessKeyId'] });
    expect(JSON.stringify(stack.resolve(key.secretAccessKey))).toContain(
      `{"Fn::GetAtt":["${resourceId}","SecretArn"]},":SecretString:secretAccessKey::}}`,
    );
  });

  test('grantRead gives read access to the secret, and decrypt on its KMS key', () => {
    const stack = newStack();
    const encryptionKey = new kms.Key(stack, 'Cmk');
    const key = new BucketAccessKey(stack, 'Key', { bucket: newBucket(stack), encryptionKey });
    const role = new iam.Role(stack, 'Consumer', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    key.grantRead(role);
    const template = Template.fromStack(stack);
    const resourceId = stack.getLogicalId(key.node.findChild('Resource').node.defaultChild as any);
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('Consumer') }],
      PolicyDocument: {
        Statement: [
          {
            Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
            Effect: 'Allow',
            Resource: { 'Fn::GetAtt': [resourceId, 'SecretArn'] },
          },
        ],
      },
    });
    // The key policy lets the consumer decrypt through Secrets Manager.
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'kms:Decrypt',
            Principal: { AWS: { 'Fn::GetAtt': [Match.stringLikeRegexp('Consumer'), 'Arn'] } },
            Condition: { StringEquals: { 'kms:ViaService': Match.anyValue() } },
          }),
        ]),
      },
    });
  });
});

describe('replacement and removal', () => {
  test('a serial bump renames the secret, so CloudFormation replaces the lineage', () => {
    const names = [0, 1].map((serial) => {
      const stack = newStack();
      new BucketAccessKey(stack, 'Key', { bucket: newBucket(stack), serial });
      const secret: any = Object.values(Template.fromStack(stack).findResources('AWS::SecretsManager::Secret'))[0];
      return resolveForStack(secret.Properties.Name, STACK_ID);
    });
    expect(names[0]).toMatch(/-v0$/);
    expect(names[1]).toMatch(/-v1$/);
    expect(names[0].replace(/-v0$/, '')).toBe(names[1].replace(/-v1$/, ''));
  });

  test('a bucket change renames the secret too', () => {
    const names = ['bucket-one', 'bucket-two'].map((bucketName) => {
      const stack = newStack();
      new BucketAccessKey(stack, 'Key', { bucketName });
      const secret: any = Object.values(Template.fromStack(stack).findResources('AWS::SecretsManager::Secret'))[0];
      return resolveForStack(secret.Properties.Name, STACK_ID);
    });
    expect(names[0]).not.toBe(names[1]);
  });

  test('RETAIN keeps the key and its secret together', () => {
    const stack = newStack();
    new BucketAccessKey(stack, 'Key', { bucket: newBucket(stack), removalPolicy: RemovalPolicy.RETAIN });
    const template = Template.fromStack(stack);
    template.hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    template.hasResource(RESOURCE_TYPE, {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({ RemovalPolicy: 'retain' }),
    });
  });

  test('by default both are deleted', () => {
    const stack = newStack();
    new BucketAccessKey(stack, 'Key', { bucket: newBucket(stack) });
    const template = Template.fromStack(stack);
    template.hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'Delete' });
    template.hasResource(RESOURCE_TYPE, { DeletionPolicy: 'Delete' });
  });
});

describe('validation', () => {
  test.each([
    ['ab', 'it has 2 characters; Lightsail allows 3 to 54'],
    ['a'.repeat(55), 'it has 55 characters'],
    ['Media-Assets', 'only lowercase letters, digits and hyphens'],
    ['media.assets', 'only lowercase letters, digits and hyphens'],
    ['-media', 'it must start and end with a lowercase letter or a digit'],
    ['media-', 'it must start and end with a lowercase letter or a digit'],
    ['media--assets', 'it must not contain two hyphens in a row'],
    ['amzn-s3-demo-bucket', 'the prefix "amzn-s3-demo-" is reserved'],
    ['sthree-media', 'the prefix "sthree-" is reserved'],
    ['sthree-configurator-x', 'the prefix "sthree-" is reserved'],
    ['media-s3alias', 'the suffix "-s3alias" is reserved'],
  ])('bucket name %j is rejected: %s', (name, reason) => {
    const stack = newStack();
    expect(() => new BucketAccessKey(stack, 'Key', { bucketName: name })).toThrow(
      `BucketAccessKey TestStack/Key: bucket name "${name}" is not a valid Lightsail bucket name: ${reason}`,
    );
  });

  test('a valid name of a CfnBucket is checked too', () => {
    const stack = newStack();
    expect(() => new BucketAccessKey(stack, 'Key', { bucket: newBucket(stack, 'Bad_Name') })).toThrow(
      /bucket name "Bad_Name" is not a valid Lightsail bucket name/,
    );
  });

  test('a bucket name that is a token is left to deploy time', () => {
    const stack = newStack();
    const name = new CfnParameter(stack, 'BucketName').valueAsString;
    new BucketAccessKey(stack, 'Key', { bucketName: name });
    Template.fromStack(stack).hasResourceProperties(RESOURCE_TYPE, { BucketName: { Ref: 'BucketName' } });
  });

  test('bucket and bucketName together are an error', () => {
    const stack = newStack();
    expect(() => new BucketAccessKey(stack, 'Key', { bucket: newBucket(stack), bucketName: 'media-assets' })).toThrow(
      'BucketAccessKey TestStack/Key: give either `bucket` or `bucketName`, not both.',
    );
  });

  test('neither bucket nor bucketName is an error', () => {
    const stack = newStack();
    expect(() => new BucketAccessKey(stack, 'Key', {})).toThrow(/give the bucket, as `bucket`/);
  });

  test.each([-1, 1.5, Number.NaN])('serial %p is rejected', (serial) => {
    const stack = newStack();
    expect(() => new BucketAccessKey(stack, 'Key', { bucketName: 'media-assets', serial })).toThrow(
      /serial .* is invalid: it must be a whole number, 0 or more/,
    );
  });

  test.each([RemovalPolicy.SNAPSHOT, RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE])(
    'removalPolicy %s is rejected',
    (removalPolicy) => {
      const stack = newStack();
      expect(() => new BucketAccessKey(stack, 'Key', { bucketName: 'media-assets', removalPolicy })).toThrow(
        /is not supported: use RemovalPolicy.DESTROY or RemovalPolicy.RETAIN/,
      );
    },
  );

  test('a third key on one bucket is an error naming the limit and every key', () => {
    const app = new App();
    const stack = newStack(app);
    const bucket = newBucket(stack);
    new BucketAccessKey(stack, 'One', { bucket });
    new BucketAccessKey(stack, 'Two', { bucket });
    new BucketAccessKey(stack, 'Three', { bucketName: 'media-assets' });
    expect(() => app.synth()).toThrow(
      /Bucket "media-assets" needs 3 key slots \(TestStack\/One: 1, TestStack\/Two: 1, TestStack\/Three: 1\), but Lightsail allows at most 2 access keys per bucket/,
    );
  });

  test('the limit counts keys in every stack of the app, per region', () => {
    const appWith = (keysInSecond: string[]) => {
      const app = new App();
      const first = newStack(app, 'First', 'eu-west-1');
      const second = newStack(app, 'Second', 'eu-west-1');
      const elsewhere = newStack(app, 'Elsewhere', 'us-east-1');
      new BucketAccessKey(first, 'One', { bucketName: 'shared-bucket' });
      new BucketAccessKey(elsewhere, 'Other', { bucketName: 'shared-bucket' });
      for (const id of keysInSecond) new BucketAccessKey(second, id, { bucketName: 'shared-bucket' });
      return app;
    };
    expect(() => appWith(['Two']).synth()).not.toThrow();
    expect(() => appWith(['Two', 'Three']).synth()).toThrow(/First\/One: 1, Second\/Two: 1, Second\/Three: 1/);
  });
});
