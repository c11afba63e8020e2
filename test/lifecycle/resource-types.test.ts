/**
 * The simulator's AWS resource types (resource-providers.ts) and Secrets Manager's rotation service
 * (secrets-manager-rotation.ts), tested directly with a recording rotation function (fixtures/rotator).
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { type AwsFake, startAwsFake } from '../fakes/aws-fake';
import { ResponseEndpoint } from '../support/capture';
import { CloudFormation } from './cloudformation';
import { LambdaService } from './lambda-service';
import { EVENTBRIDGE_INPUT_LIMIT } from './resource-providers';
import { ATTEMPTS_PER_WINDOW, RotationService } from './secrets-manager-rotation';
import type { Template } from './template';

jest.setTimeout(60_000);

const ROTATOR = path.join(__dirname, 'fixtures', 'rotator');
const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'resource-types-test-'));

interface Shape {
  /** The secret's value: the rotator's settings (see fixtures/rotator). */
  readonly settings?: Record<string, unknown>;
  /** A RotationSchedule on the secret. */
  readonly schedule?: { readonly expression: string; readonly immediately: boolean };
  /** A customer-managed KMS key (A or B) for the secret, and whether the rotator's role may use it. */
  readonly kmsKey?: 'A' | 'B';
  readonly kmsKeys?: ReadonlyArray<'A' | 'B'>;
  readonly grantKms?: boolean;
  /** An EventBridge rule whose one target gets an Input of this many characters. */
  readonly ruleInputLength?: number;
}

let fake: AwsFake;
let responses: ResponseEndpoint;
let service: LambdaService;
let rotation: RotationService;
let cfn: CloudFormation;

beforeAll(async () => {
  fake = await startAwsFake({ region: REGION, accountId: ACCOUNT });
  responses = await ResponseEndpoint.start();
  // The rotator runs from its copy in the cloud assembly: it finds the AWS SDK in the repository's node_modules.
  service = new LambdaService({ ...fake.env(), NODE_PATH: path.join(__dirname, '..', '..', 'node_modules') });
  rotation = new RotationService(fake, service);
});
afterAll(async () => {
  await rotation.settle();
  await service.close();
  await responses.close();
  await fake.close();
});
beforeEach(() => {
  fake.reset();
  const stackId = `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/Types/${randomUUID()}`;
  cfn = new CloudFormation(
    fake,
    service,
    responses,
    { stackName: 'Types', stackId, region: REGION, accountId: ACCOUNT },
    rotation,
  );
  cfn.options = { lambdaTimeoutMs: 10_000 };
  fake.kms.permits = (...request) => cfn.kmsPermits(...request);
});

function synth(shape: Shape): { template: Template; assemblyDir: string } {
  const assemblyDir = path.join(outDir, randomUUID());
  const app = new App({ outdir: assemblyDir });
  const stack = new Stack(app, 'Types', { env: { account: ACCOUNT, region: REGION } });
  const keys = new Map(
    (shape.kmsKeys ?? []).map((k) => [k, new kms.Key(stack, `Key${k}`, { removalPolicy: RemovalPolicy.DESTROY })]),
  );
  const key = shape.kmsKey && keys.get(shape.kmsKey);
  const secret = new secretsmanager.CfnSecret(stack, 'Secret', {
    name: 'rotated',
    secretString: JSON.stringify(shape.settings ?? {}),
    kmsKeyId: key?.keyArn,
  });
  const fn = new lambda.Function(stack, 'Rotator', {
    runtime: lambda.Runtime.NODEJS_24_X,
    code: lambda.Code.fromAsset(ROTATOR),
    handler: 'index.handler',
    timeout: Duration.seconds(10),
  });
  if (shape.grantKms) {
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: [...keys.values()].map((k) => k.keyArn),
      }),
    );
  }
  if (shape.schedule) {
    const schedule = new secretsmanager.CfnRotationSchedule(stack, 'Schedule', {
      secretId: secret.ref,
      rotationLambdaArn: fn.functionArn,
      rotationRules: { scheduleExpression: shape.schedule.expression },
      rotateImmediatelyOnUpdate: shape.schedule.immediately,
    });
    schedule.node.addDependency(fn);
  }
  if (shape.ruleInputLength !== undefined) {
    new events.CfnRule(stack, 'Rule', {
      scheduleExpression: 'rate(1 hour)',
      targets: [{ id: 'T', arn: fn.functionArn, input: 'x'.repeat(shape.ruleInputLength) }],
    });
  }
  app.synth();
  return { template: JSON.parse(fs.readFileSync(path.join(assemblyDir, 'Types.template.json'), 'utf8')), assemblyDir };
}

async function deploy(shape: Shape) {
  const { template, assemblyDir } = synth(shape);
  return cfn.deploy(template, assemblyDir);
}

/** What the rotator printed since `from`, once every rotation has finished. */
async function rotated(from: number): Promise<Array<Record<string, unknown>>> {
  await rotation.settle();
  await cfn.settle();
  await new Promise((resolve) => setTimeout(resolve, 50));
  return service.output
    .slice(from)
    .filter((l) => l.startsWith('ROTATE '))
    .map((l) => JSON.parse(l.slice('ROTATE '.length)));
}

const secret = () => fake.secrets.get('rotated')!;
const lastFailure = () => cfn.texts().at(-1);

describe('AWS::SecretsManager::RotationSchedule and the rotation service', () => {
  test('Create rotates at once: the empty AWSPENDING version first, then the four steps with one token, in the background', async () => {
    const from = service.output.length;
    expect(await deploy({ schedule: { expression: 'rate(30 days)', immediately: true } })).toBe('CREATE_COMPLETE');
    const steps = await rotated(from);
    expect(steps.map((s) => s.Step)).toEqual(['createSecret', 'setSecret', 'testSecret', 'finishSecret']);
    expect(new Set(steps.map((s) => s.token)).size).toBe(1);
    expect(steps[0]).toMatchObject({ pendingBefore: ['AWSPENDING'], pendingValue: 'ResourceNotFoundException' });
    expect(JSON.parse(fake.secrets.valueAt('rotated')!)).toEqual({ generation: 1 });
    expect(secret().rotation).toMatchObject({ enabled: true, scheduleExpression: 'rate(30 days)' });
  });

  test('with RotateImmediatelyOnUpdate false only testSecret runs, on a copy of the current value; the label goes after', async () => {
    const from = service.output.length;
    expect(await deploy({ schedule: { expression: 'rate(30 days)', immediately: false } })).toBe('CREATE_COMPLETE');
    const steps = await rotated(from);
    expect(steps.map((s) => s.Step)).toEqual(['testSecret']);
    expect(steps[0].tested).toBe('{}');
    expect(secret().versions.find((v) => v.versionId === steps[0].token)!.stages).toEqual([]);
    expect(fake.secrets.valueAt('rotated')).toBe('{}');
  });

  test('a failing configuration test fails the schedule', async () => {
    expect(
      await deploy({
        settings: { failOn: 'testSecret' },
        schedule: { expression: 'rate(30 days)', immediately: false },
      }),
    ).toBe('ROLLBACK_COMPLETE');
    expect(lastFailure()).toContain('asked to fail at testSecret');
  });

  test('a failed rotation is reattempted with its own token, stays incomplete, and the next window tries that token again', async () => {
    const from = service.output.length;
    await deploy({ settings: { failOn: 'setSecret' }, schedule: { expression: 'rate(30 days)', immediately: true } });
    const first = await rotated(from);
    expect(first.filter((s) => s.Step === 'setSecret')).toHaveLength(ATTEMPTS_PER_WINDOW);
    expect(new Set(first.map((s) => s.token)).size).toBe(1);
    const token = first[0].token as string;
    expect(secret().versions.find((v) => v.versionId === token)!.stages).toEqual(['AWSPENDING']);
    expect(rotation.outcomes.at(-1)).toMatchObject({ token, failure: expect.stringContaining('asked to fail') });

    const again = service.output.length;
    await rotation.rotateOnSchedule(secret().arn);
    expect(new Set((await rotated(again)).map((s) => s.token))).toEqual(new Set([token]));
  });

  test("an Update of the schedule while a rotation is incomplete fails: RotateSecret's error", async () => {
    await deploy({ settings: { failOn: 'setSecret' }, schedule: { expression: 'rate(30 days)', immediately: true } });
    await rotation.settle();
    expect(
      await deploy({
        settings: { failOn: 'setSecret' },
        schedule: { expression: 'rate(20 days)', immediately: false },
      }),
    ).toBe('UPDATE_ROLLBACK_FAILED');
    expect(cfn.texts().join('\n')).toContain("A previous rotation isn't complete. That rotation will be reattempted.");
  });

  test('deleting the schedule cancels rotation; the step running finishes, no later step starts', async () => {
    const from = service.output.length;
    await deploy({ settings: { delayMs: 1500 }, schedule: { expression: 'rate(30 days)', immediately: true } });
    // The rotation is in its slow setSecret step while the schedule goes.
    while (!service.output.slice(from).some((l) => l.includes('"setSecret"')))
      await new Promise((r) => setTimeout(r, 20));
    expect(await deploy({ settings: { delayMs: 1500 } })).toBe('UPDATE_COMPLETE');
    expect(secret().rotation?.enabled).toBe(false);
    expect((await rotated(from)).map((s) => s.Step)).toEqual(['createSecret', 'setSecret']);
    expect(rotation.outcomes.at(-1)?.failure).toBe('cancelled');
    expect(secret().versions.some((v) => v.stages.includes('AWSPENDING') && !v.stages.includes('AWSCURRENT'))).toBe(
      true,
    );
  });
});

describe('AWS::Events::Rule', () => {
  test(`a target Input of up to ${EVENTBRIDGE_INPUT_LIMIT} characters deploys; one more fails the rule`, async () => {
    expect(await deploy({ ruleInputLength: EVENTBRIDGE_INPUT_LIMIT })).toBe('CREATE_COMPLETE');
    fake.reset();
    expect(await deploy({ ruleInputLength: EVENTBRIDGE_INPUT_LIMIT + 1 })).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect(lastFailure()).toContain('Member must have length less than or equal to 8192');
  });
});

describe('KMS keys and the IAM policies that let functions use them', () => {
  test('a changed KmsKeyId re-encrypts the labelled versions; a key removed from the stack can no longer be used', async () => {
    await deploy({ kmsKeys: ['A'], kmsKey: 'A', grantKms: true, settings: { v: 1 } });
    await deploy({ kmsKeys: ['A'], kmsKey: 'A', grantKms: true, settings: { v: 2 } });
    await deploy({ kmsKeys: ['A'], kmsKey: 'A', grantKms: true, settings: { v: 3 } });
    const keyA = secret().kmsKeyId!;
    await deploy({ kmsKeys: ['A', 'B'], kmsKey: 'B', grantKms: true, settings: { v: 3 } });
    const keyB = secret().kmsKeyId!;
    expect(secret().versions.map((v) => v.kmsKeyId)).toEqual([keyA, keyB, keyB]);
    expect(await deploy({ kmsKeys: ['B'], kmsKey: 'B', grantKms: true, settings: { v: 3 } })).toBe('UPDATE_COMPLETE');
    expect(fake.kms.refusal('', 'kms:Decrypt', keyA, secret().arn)).toEqual({
      kind: 'unusable',
      reason: `${keyA} is pending deletion`,
    });
    expect(fake.kms.refusal('', 'kms:Decrypt', keyB, secret().arn)).toBeUndefined();
  });

  test("a function's request is judged by its role's policies as deployed: without the grant, Access to KMS is not allowed", async () => {
    const from = service.output.length;
    const shape = {
      kmsKeys: ['A'] as const,
      kmsKey: 'A' as const,
      schedule: { expression: 'rate(30 days)', immediately: true },
    };
    expect(await deploy({ ...shape, grantKms: false })).toBe('CREATE_COMPLETE');
    expect((await rotated(from))[0]).toMatchObject({ Step: 'createSecret', error: 'AccessDeniedException' });

    // Granted in the next deploy, the incomplete rotation completes when Secrets Manager reattempts it.
    const granted = service.output.length;
    expect(await deploy({ ...shape, grantKms: true })).toBe('UPDATE_COMPLETE');
    expect((await rotation.rotateOnSchedule(secret().arn))?.failure).toBeUndefined();
    expect((await rotated(granted)).map((s) => s.Step)).toContain('finishSecret');
  });
});
