/**
 * The CloudFormation simulator's own rules, tested directly: every lifecycle claim rests on them. A recording custom
 * resource (fixtures/recorder) prints each event it gets, with times, and answers as its properties say.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, CfnResource, CustomResource, Duration, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as lightsail from 'aws-cdk-lib/aws-lightsail';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { type AwsFake, startAwsFake } from '../fakes/aws-fake';
import { ResponseEndpoint } from '../support/capture';
import { CloudFormation, TRIPWIRE_TYPE } from './cloudformation';
import { LambdaService } from './lambda-service';
import { RotationService } from './secrets-manager-rotation';
import type { Template } from './template';

jest.setTimeout(60_000);

const RECORDER = path.join(__dirname, 'fixtures', 'recorder');
const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const STACK_NAME = 'SimTest';

interface Recorded {
  readonly phase: 'start' | 'answer';
  readonly at: number;
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly LogicalResourceId: string;
  readonly PhysicalResourceId?: string;
  readonly Id: string;
  readonly OldId?: string;
}

/** A custom resource of the test app: its construct id (also its logical id) and its properties. */
interface Custom {
  readonly id: string;
  readonly props?: Record<string, string>;
  readonly dependsOn?: string[];
  readonly retain?: boolean;
}

interface AppShape {
  readonly customs?: readonly Custom[];
  /**
   * A tripwire: fails at once, or when `afterOperation` is reported. It starts with the custom resources (after the
   * function), or after those it `dependsOn`.
   */
  readonly tripwire?: { readonly Fail?: 'true'; readonly FailAfterOperation?: string; readonly dependsOn?: string[] };
  readonly bucket?: string;
  readonly secretName?: string;
}

let fake: AwsFake;
let responses: ResponseEndpoint;
let service: LambdaService;
const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'simulator-test-'));

beforeAll(async () => {
  fake = await startAwsFake({ region: REGION, accountId: ACCOUNT });
  responses = await ResponseEndpoint.start();
  service = new LambdaService(fake.env());
});
afterAll(async () => {
  await service.close();
  await responses.close();
  await fake.close();
});
beforeEach(() => fake.reset());

function synth(shape: AppShape): { template: Template; assemblyDir: string } {
  const assemblyDir = path.join(outDir, randomUUID());
  const app = new App({ outdir: assemblyDir });
  const stack = new Stack(app, STACK_NAME, { env: { account: ACCOUNT, region: REGION } });
  const fn = new lambda.Function(stack, 'Recorder', {
    runtime: lambda.Runtime.NODEJS_24_X,
    code: lambda.Code.fromAsset(RECORDER),
    handler: 'index.handler',
    timeout: Duration.seconds(10),
  });
  const byId = new Map<string, CfnResource>();
  for (const custom of shape.customs ?? []) {
    const resource = new CustomResource(stack, custom.id, {
      serviceToken: fn.functionArn,
      properties: { Id: `${custom.id}-1`, ...custom.props },
    });
    const cfn = resource.node.defaultChild as CfnResource;
    cfn.overrideLogicalId(custom.id);
    if (custom.retain) cfn.cfnOptions.deletionPolicy = 'Retain' as never;
    byId.set(custom.id, cfn);
  }
  for (const custom of shape.customs ?? []) {
    for (const d of custom.dependsOn ?? []) byId.get(custom.id)!.addDependency(byId.get(d)!);
  }
  if (shape.tripwire) {
    const { dependsOn, ...properties } = shape.tripwire;
    const tripwire = new CfnResource(stack, 'Tripwire', { type: TRIPWIRE_TYPE, properties });
    tripwire.node.addDependency(fn);
    for (const d of dependsOn ?? []) tripwire.addDependency(byId.get(d)!);
  }
  if (shape.bucket) new lightsail.CfnBucket(stack, 'Bucket', { bucketName: shape.bucket, bundleId: 'small_1_0' });
  if (shape.secretName) new secretsmanager.CfnSecret(stack, 'Secret', { name: shape.secretName, secretString: 'v' });
  app.synth();
  const template = JSON.parse(fs.readFileSync(path.join(assemblyDir, `${STACK_NAME}.template.json`), 'utf8'));
  return { template, assemblyDir };
}

function newStack(options: CloudFormation['options'] = {}): CloudFormation {
  const stackId = `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${STACK_NAME}/${randomUUID()}`;
  const cfn = new CloudFormation(
    fake,
    service,
    responses,
    { stackName: STACK_NAME, stackId, region: REGION, accountId: ACCOUNT },
    new RotationService(fake, service),
  );
  cfn.options = { lambdaTimeoutMs: 10_000, ...options };
  return cfn;
}

async function deploy(cfn: CloudFormation, shape: AppShape) {
  const { template, assemblyDir } = synth(shape);
  return cfn.deploy(template, assemblyDir);
}

/**
 * What the recorder printed since `from` (an index into the service's output), once every invocation has finished
 * and its output has arrived.
 */
async function recorded(cfn: CloudFormation, from: number): Promise<Recorded[]> {
  await cfn.settle();
  await new Promise((resolve) => setTimeout(resolve, 50));
  return service.output
    .slice(from)
    .filter((l) => l.startsWith('RECORD '))
    .map((l) => JSON.parse(l.slice('RECORD '.length)));
}

const find = (records: Recorded[], phase: Recorded['phase'], type: Recorded['RequestType'], id: string) => {
  const found = records.find((r) => r.phase === phase && r.RequestType === type && r.LogicalResourceId === id);
  if (!found) throw new Error(`no ${phase} of ${type} ${id} in ${JSON.stringify(records)}`);
  return found;
};

describe('ordering', () => {
  test('independent resources start together; a dependent one starts once its dependency answered', async () => {
    const cfn = newStack();
    const from = service.output.length;
    // Long enough that a cold execution environment of the other resource has started within it.
    const slow = { DelayMs: '1500' };
    expect(
      await deploy(cfn, {
        customs: [
          { id: 'A', props: slow },
          { id: 'B', props: slow },
          { id: 'C', dependsOn: ['A'] },
        ],
      }),
    ).toBe('CREATE_COMPLETE');
    const log = await recorded(cfn, from);
    expect(find(log, 'start', 'Create', 'B').at).toBeLessThan(find(log, 'answer', 'Create', 'A').at);
    expect(find(log, 'start', 'Create', 'A').at).toBeLessThan(find(log, 'answer', 'Create', 'B').at);
    expect(find(log, 'start', 'Create', 'C').at).toBeGreaterThanOrEqual(find(log, 'answer', 'Create', 'A').at);
  });

  test('a stack deletes in reverse dependency order', async () => {
    const cfn = newStack();
    await deploy(cfn, { customs: [{ id: 'A' }, { id: 'C', dependsOn: ['A'] }] });
    const from = service.output.length;
    expect(await cfn.deleteStack()).toBe('DELETE_COMPLETE');
    const log = await recorded(cfn, from);
    expect(find(log, 'start', 'Delete', 'A').at).toBeGreaterThanOrEqual(find(log, 'answer', 'Delete', 'C').at);
  });

  test('a DeletionPolicy of Retain keeps a resource: no Delete is sent', async () => {
    const cfn = newStack();
    await deploy(cfn, { customs: [{ id: 'A', retain: true }] });
    const from = service.output.length;
    expect(await cfn.deleteStack()).toBe('DELETE_COMPLETE');
    expect(await recorded(cfn, from)).toEqual([]);
    expect(cfn.events.filter((e) => e.logicalId === 'A').at(-1)).toMatchObject({ action: 'Delete skipped: Retain' });
  });
});

describe('replacement and cleanup', () => {
  test("cleanup deletes the old copies in the old template's reverse dependency order", async () => {
    const cfn = newStack();
    await deploy(cfn, { customs: [{ id: 'A' }, { id: 'B', dependsOn: ['A'] }] });
    const from = service.output.length;
    const status = await deploy(cfn, {
      customs: [
        { id: 'A', props: { Id: 'A-2' } },
        { id: 'B', props: { Id: 'B-2' }, dependsOn: ['A'] },
      ],
    });
    expect(status).toBe('UPDATE_COMPLETE');
    const log = await recorded(cfn, from);
    expect(find(log, 'start', 'Delete', 'B').PhysicalResourceId).toBe('B-1');
    expect(find(log, 'start', 'Delete', 'A').at).toBeGreaterThanOrEqual(find(log, 'answer', 'Delete', 'B').at);
  });

  test('a new physical id from an Update is a replacement: the old id is deleted once the whole update succeeded', async () => {
    const cfn = newStack();
    await deploy(cfn, { customs: [{ id: 'A' }, { id: 'B' }] });
    const from = service.output.length;
    const status = await deploy(cfn, {
      customs: [
        { id: 'A', props: { Id: 'A-2' } },
        { id: 'B', props: { DelayMs: '200' } },
      ],
    });
    expect(status).toBe('UPDATE_COMPLETE');
    const log = await recorded(cfn, from);
    const cleanup = find(log, 'start', 'Delete', 'A');
    expect(cleanup.PhysicalResourceId).toBe('A-1');
    expect(cleanup.at).toBeGreaterThanOrEqual(find(log, 'start', 'Update', 'B').at + 200);
    expect(cfn.resources.get('A')!.physicalId).toBe('A-2');
  });
});

describe('rollback', () => {
  test.each(['old', 'new'] as const)(
    'a failed update rolls a replaced resource back with an Update carrying the %s physical id, then deletes the new one',
    async (rollbackPhysicalId) => {
      const cfn = newStack({ rollbackPhysicalId });
      await deploy(cfn, { customs: [{ id: 'A' }] });
      const from = service.output.length;
      const status = await deploy(cfn, {
        customs: [{ id: 'A', props: { Id: 'A-2' } }],
        tripwire: { Fail: 'true', dependsOn: ['A'] },
      });
      expect(status).toBe('UPDATE_ROLLBACK_COMPLETE');
      const log = await recorded(cfn, from);
      const back = log.filter((r) => r.phase === 'start' && r.RequestType === 'Update')[1];
      expect(back).toMatchObject({ Id: 'A-1', OldId: 'A-2' });
      expect(back.PhysicalResourceId).toBe(rollbackPhysicalId === 'old' ? 'A-1' : 'A-2');
      const deletion = find(log, 'start', 'Delete', 'A');
      expect(deletion.PhysicalResourceId).toBe('A-2');
      expect(deletion.at).toBeGreaterThanOrEqual(find(log, 'answer', 'Update', 'A').at);
      expect(cfn.resources.get('A')!.physicalId).toBe('A-1');
    },
  );

  test('what a failed deploy created goes in reverse dependency order, after the Updates back', async () => {
    const cfn = newStack();
    await deploy(cfn, { customs: [{ id: 'A' }] });
    const from = service.output.length;
    const status = await deploy(cfn, {
      customs: [{ id: 'A', props: { Id: 'A-1', Changed: 'yes' } }, { id: 'B' }, { id: 'C', dependsOn: ['B'] }],
      tripwire: { Fail: 'true', dependsOn: ['A', 'C'] },
    });
    expect(status).toBe('UPDATE_ROLLBACK_COMPLETE');
    const log = await recorded(cfn, from);
    const updatesOfA = log.filter(
      (r) => r.phase === 'answer' && r.RequestType === 'Update' && r.LogicalResourceId === 'A',
    );
    expect(updatesOfA).toHaveLength(2); // the failed deploy's Update, then the rollback's Update back
    expect(find(log, 'start', 'Delete', 'C').at).toBeGreaterThanOrEqual(updatesOfA[1].at);
    expect(find(log, 'start', 'Delete', 'B').at).toBeGreaterThanOrEqual(find(log, 'answer', 'Delete', 'C').at);
    expect([...cfn.resources.keys()].filter((id) => /^[ABC]$/.test(id))).toEqual(['A']);
  });

  test('a rollback step that fails stops the rollback there: the stack is left for an operator', async () => {
    const cfn = newStack();
    await deploy(cfn, { customs: [{ id: 'A' }] });
    const status = await deploy(cfn, {
      customs: [{ id: 'A' }, { id: 'B', props: { FailOn: 'Delete' } }],
      tripwire: { Fail: 'true', dependsOn: ['B'] },
    });
    expect(status).toBe('UPDATE_ROLLBACK_FAILED');
    expect(cfn.events).toContainEqual(expect.objectContaining({ logicalId: 'B', action: 'Delete (rollback)' }));
  });

  test('a resource whose own Update failed gets the rollback Update under its old id, and no Delete', async () => {
    const cfn = newStack();
    await deploy(cfn, { customs: [{ id: 'A' }] });
    const from = service.output.length;
    expect(await deploy(cfn, { customs: [{ id: 'A', props: { Id: 'A-2', FailOn: 'Update' } }] })).toBe(
      'UPDATE_ROLLBACK_COMPLETE',
    );
    const log = await recorded(cfn, from);
    const updates = log.filter((r) => r.phase === 'start' && r.RequestType === 'Update');
    expect(updates.map((u) => [u.PhysicalResourceId, u.Id, u.OldId])).toEqual([
      ['A-1', 'A-2', 'A-1'],
      ['A-1', 'A-1', 'A-2'],
    ]);
    expect(log.some((r) => r.RequestType === 'Delete')).toBe(false);
  });

  test('a Create answered FAILED gets its Delete under the physical id of that answer', async () => {
    const cfn = newStack();
    const from = service.output.length;
    expect(await deploy(cfn, { customs: [{ id: 'A', props: { FailOn: 'Create' } }] })).toBe('ROLLBACK_COMPLETE');
    expect(find(await recorded(cfn, from), 'start', 'Delete', 'A').PhysicalResourceId).toBe('A-1');
  });
});

describe('cancellation and unanswered requests', () => {
  const madeUp = new RegExp(`^${STACK_NAME}-A-[A-Z0-9]{12}$`);

  test('a Create still running when another resource fails is cancelled: its Delete comes under a made-up id while it runs, and its late answer is ignored', async () => {
    const cfn = newStack();
    const from = service.output.length;
    const status = await deploy(cfn, {
      customs: [{ id: 'A', props: { DelayMs: '1500' } }],
      tripwire: { Fail: 'true' },
    });
    await cfn.settle();

    expect(status).toBe('ROLLBACK_COMPLETE');
    const log = await recorded(cfn, from);
    const deletion = find(log, 'start', 'Delete', 'A');
    expect(deletion.PhysicalResourceId).toMatch(madeUp);
    expect(deletion.Id).toBe('A-1');
    expect(deletion.at).toBeLessThan(find(log, 'answer', 'Create', 'A').at);
    expect(cfn.events.map((e) => [e.logicalId, e.action, e.failure])).toEqual(
      expect.arrayContaining([
        ['A', 'CREATE', 'Resource creation cancelled'],
        ['A', 'CREATE (cancelled: late answer ignored)', undefined],
      ]),
    );
    expect(cfn.resources.has('A')).toBe(false);
  });

  test('a Create that never answers fails, and gets its Delete under a made-up id', async () => {
    const cfn = newStack();
    const from = service.output.length;
    expect(await deploy(cfn, { customs: [{ id: 'A', props: { SilentOn: 'Create' } }] })).toBe('ROLLBACK_COMPLETE');
    expect(find(await recorded(cfn, from), 'start', 'Delete', 'A').PhysicalResourceId).toMatch(madeUp);
  });

  test('an Update still running when another resource fails is cancelled and rolled back with an Update', async () => {
    const cfn = newStack();
    await deploy(cfn, { customs: [{ id: 'A' }] });
    const from = service.output.length;
    const status = await deploy(cfn, {
      customs: [{ id: 'A', props: { DelayMs: '1500', Id: 'A-2' } }],
      tripwire: { Fail: 'true' },
    });
    await cfn.settle();
    expect(status).toBe('UPDATE_ROLLBACK_COMPLETE');
    const updates = (await recorded(cfn, from)).filter((r) => r.phase === 'start' && r.RequestType === 'Update');
    // The forward Update, still running, and the rollback Update back to the old properties, in either order.
    expect(updates.map((u) => [u.PhysicalResourceId, u.Id, u.OldId]).sort()).toEqual([
      ['A-1', 'A-1', 'A-2'],
      ['A-1', 'A-2', 'A-1'],
    ]);
    expect(cfn.events).toContainEqual(
      expect.objectContaining({ logicalId: 'A', failure: 'Resource update cancelled' }),
    );
    expect(cfn.resources.get('A')!.physicalId).toBe('A-1');
  });

  test("a tripwire fails when a handler's call of its operation took effect, and holds that handler until the cancelled Creates' Deletes were answered", async () => {
    const cfn = newStack();
    const from = service.output.length;
    const deployed = deploy(cfn, {
      customs: [{ id: 'A', props: { DelayMs: '300' } }],
      tripwire: { FailAfterOperation: 'PutSecretValue' },
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(cfn.status).toBeUndefined();
    await cfn.afterOperation('PutSecretValue');
    const released = Date.now();

    expect(await deployed).toBe('ROLLBACK_COMPLETE');
    const log = await recorded(cfn, from);
    expect(find(log, 'answer', 'Delete', 'A').at).toBeLessThanOrEqual(released);
    expect(cfn.events).toContainEqual(
      expect.objectContaining({ logicalId: 'A', action: 'CREATE', failure: 'Resource creation cancelled' }),
    );
    expect(cfn.events).toContainEqual(expect.objectContaining({ logicalId: 'A', action: 'Delete (rollback)' }));
  });

  test('a tripwire whose operation never comes fails once nothing else runs', async () => {
    const cfn = newStack();
    const status = await deploy(cfn, {
      customs: [{ id: 'A' }],
      tripwire: { FailAfterOperation: 'CreateBucketAccessKey' },
    });
    expect(status).toBe('ROLLBACK_COMPLETE');
    expect(cfn.events.filter((e) => e.failure === 'Resource creation cancelled')).toEqual([]);
  });
});

describe('resource types', () => {
  test('CloudFormation force-deletes a Lightsail bucket: its access keys go with it', async () => {
    const cfn = newStack();
    await deploy(cfn, { bucket: 'media' });
    fake.lightsail.createBucket('other');
    const keys = await Promise.all(
      ['media', 'media', 'other'].map((bucketName) => fake.lightsail.handle('CreateBucketAccessKey', { bucketName })),
    );
    expect(await cfn.deleteStack()).toBe('DELETE_COMPLETE');
    expect(fake.lightsail.bucketExists('media')).toBe(false);
    const ids = keys.map((k) => (k as { accessKey: { accessKeyId: string } }).accessKey.accessKeyId);
    expect(cfn.keysDeletedWithBuckets).toEqual(ids.slice(0, 2));
    expect(fake.lightsail.allKeys().map((k) => k.accessKeyId)).toEqual([ids[2]]);
  });

  test('a secret CloudFormation deleted keeps its name taken until Secrets Manager finished deleting it', async () => {
    const first = newStack();
    await deploy(first, { secretName: 'app/secret' });
    expect(await first.deleteStack()).toBe('DELETE_COMPLETE');

    const again = newStack();
    expect(await deploy(again, { secretName: 'app/secret' })).toBe('ROLLBACK_COMPLETE');
    expect(again.texts().join('\n')).toContain('InvalidRequestException');

    fake.secrets.finishDeletions();
    expect(await deploy(newStack(), { secretName: 'app/secret' })).toBe('CREATE_COMPLETE');
  });
});
