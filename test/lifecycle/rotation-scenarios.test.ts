/**
 * Rotation as Secrets Manager runs it, through a stack's whole life, on the real synthesized template and the real
 * bundled handlers: a rotation racing the stack's operations, rotations left incomplete, RotateImmediately false,
 * Lightsail operations applied late, many rotating keys, a new encryption key, rotation turned off, a schedule
 * changed while a rotation is stuck. Each step also checks the invariants (world.ts).
 */
import type { KeySpec } from './apps';
import { app, clean, key, keyReads } from './scenario-kit';
import { LifecycleWorld } from './world';

jest.setTimeout(180_000);

let world: LifecycleWorld;
beforeAll(async () => {
  world = await LifecycleWorld.start();
});
afterAll(() => world.close());
beforeEach(() => world.beginSequence({ externalBuckets: ['existing'] }));

const { keysOn, resource, secretKeyOf } = keyReads(() => world);

const rotating = (more: Partial<KeySpec> = {}, rotation: KeySpec['rotation'] = { days: 30 }) =>
  app([key('R', 'existing', { rotation, ...more })]);

const secretArnOf = (id: string) => resource(id).physicalId;
const pendingVersion = (secretArn: string) =>
  world.fake.secrets
    .get(secretArn)!
    .versions.find((v) => v.stages.includes('AWSPENDING') && !v.stages.includes('AWSCURRENT'));

describe("a rotation racing the stack's operations", () => {
  test("the rotation's key is written after the stack's Delete read the secret, before the secret goes: it is deleted", async () => {
    clean(await world.deploy(rotating()));
    const secretArn = secretArnOf('R');
    // The rotation has created its key and not written it yet...
    const created = world.pauseAfter('CreateBucketAccessKey', 'RotationHandler');
    const rotation = world.rotation.rotateOnSchedule(secretArn);
    await created.reached;
    const token = pendingVersion(secretArn)!.versionId;
    // ...when the stack is deleted: the Delete reads the rotation's version while it is still empty...
    const read = world.pauseAfter('GetSecretValue', 'ProviderHandler', (input) => input.VersionId === token);
    const teardown = world.teardown();
    await read.reached;
    // ...then the rotation writes its key, and the Delete goes on.
    const written = world.pauseAfter('PutSecretValue', 'RotationHandler');
    created.release();
    await written.reached;
    written.release();
    read.release();
    clean(await teardown, 'DELETE_COMPLETE');
    expect((await rotation)?.failure).toBeDefined();
    expect(keysOn('existing')).toEqual([]);
  });

  test('the rotation writes after the Delete claimed its version: the write fails and the rotation deletes its key', async () => {
    clean(await world.deploy(rotating()));
    const created = world.pauseAfter('CreateBucketAccessKey', 'RotationHandler');
    const rotation = world.rotation.rotateOnSchedule(secretArnOf('R'));
    await created.reached;
    // Checked once the rotation is released: until then its key exists, unwritten, as it would in any rotation.
    expect((await world.teardown()).status).toBe('DELETE_COMPLETE');
    created.release();
    expect((await rotation)?.failure).toBeDefined();
    expect(await world.checkInvariants()).toEqual([]);
    expect(keysOn('existing')).toEqual([]);
  });

  test("a deploy a rotation window overlaps is checked once the window ended: the rotation's key is recorded only when its write lands", async () => {
    clean(await world.deploy(rotating()));
    // The rotation creates its key while the deploy creates another key, and is held there until the deploy is done.
    const rotationCreated = world.pauseAfter('CreateBucketAccessKey', 'RotationHandler');
    const deployCreated = world.pauseAfter('CreateBucketAccessKey', 'ProviderHandler');
    let ended = false;
    const withSecondKey = app([key('R', 'existing', { rotation: { days: 30 } }), key('K', 'media')]);
    const step = world.rotateWhile({ deploy: withSecondKey }, 0).then((report) => {
      ended = true;
      return report;
    });
    await Promise.all([rotationCreated.reached, deployCreated.reached]);
    deployCreated.release();
    while (world.cfn.status !== 'UPDATE_COMPLETE') await new Promise((resolve) => setTimeout(resolve, 10));
    // The deploy is done; the rotation's key exists, unwritten: checking now would call it an orphan.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(ended).toBe(false);
    expect(keysOn('existing')).toHaveLength(2);
    rotationCreated.release();
    clean(await step, 'UPDATE_COMPLETE');
    expect(world.rotationOutcomes()).toEqual([expect.objectContaining({ failure: undefined })]);
  });

  test.each([0, 150, 400])(
    'a rotation window %i ms into a deploy that moves the key, and into its rollback: no key outlives its lineage',
    async (delayMs) => {
      clean(await world.deploy(rotating()));
      clean(await world.rotateAll());
      clean(await world.rotateWhile({ deploy: rotating({ serial: 1 }) }, delayMs), 'UPDATE_COMPLETE');
      clean(await world.rotateWhile({ deploy: { ...rotating({ serial: 2 }), failAfterKeys: true } }, delayMs));
      clean(await world.rotateWhile('teardown', delayMs), 'DELETE_COMPLETE');
      expect(keysOn('existing')).toEqual([]);
    },
  );
});

describe('rotation as RotateSecret runs it', () => {
  test('a first deploy with RotateImmediately false only tests the configuration: no key is made', async () => {
    clean(await world.deploy(rotating()));
    const secret = world.fake.secrets.get(secretArnOf('R'))!;
    expect(keysOn('existing')).toEqual([secretKeyOf('R')]);
    expect(secret.rotation?.enabled).toBe(true);
    // The test ran on a version holding a copy of the current value, which has no label any more.
    const copies = secret.versions.filter((v) => v.secretString === world.fake.secrets.valueAt(secret.arn));
    expect(copies).toHaveLength(2);
    expect(copies[0].stages).toContain('AWSCURRENT');
    expect(copies[1].stages).toEqual([]);
  });

  test('RotateImmediately on a first deploy rotates at once, in the background', async () => {
    clean(await world.deploy(rotating({}, { days: 30, immediately: true })), 'CREATE_COMPLETE');
    await world.settle();
    expect(world.rotationOutcomes()).toEqual([expect.objectContaining({ failure: undefined })]);
    expect(keysOn('existing')).toHaveLength(2);
  });

  test('RotateImmediately turned on by a deploy that fails: the rollback ends the rotation it started, then the RotationSchedule rolls back', async () => {
    clean(await world.deploy(rotating()));
    // The rotation the forward update starts is held once it wrote its key, until the rollback is done.
    const written = world.pauseAfter('PutSecretValue', 'RotationHandler');
    const immediately = rotating({}, { days: 30, immediately: true });
    const deploy = world.deploy({ ...immediately, failAfterKeys: true });
    await written.reached;
    while (!world.cfn.status?.startsWith('UPDATE_ROLLBACK_')) await new Promise((resolve) => setTimeout(resolve, 10));
    written.release();
    clean(await deploy, 'UPDATE_ROLLBACK_COMPLETE');
    expect(world.rotationOutcomes()).toEqual([expect.objectContaining({ failure: expect.stringContaining('ended') })]);
    expect(keysOn('existing')).toEqual([secretKeyOf('R')]);
    expect(world.fake.secrets.get(secretArnOf('R'))?.rotation?.enabled).toBe(true);
    clean(await world.rotateAll());
    clean(await world.teardown(), 'DELETE_COMPLETE');
    expect(keysOn('existing')).toEqual([]);
  });

  test('a rotation that cannot finish stays incomplete and is reattempted with its own token until it can', async () => {
    clean(await world.deploy(rotating()));
    clean(world.createForeignKey('existing'));
    clean(await world.rotateAll());
    const [stuck] = world.rotationOutcomes();
    expect(stuck.failure).toContain('already has 2 access keys');
    expect(pendingVersion(stuck.secretArn)?.versionId).toBe(stuck.token);
    clean(world.deleteForeignKeys());
    clean(await world.rotateAll());
    expect(world.rotationOutcomes()[1]).toEqual({ secretArn: stuck.secretArn, token: stuck.token, failure: undefined });
    expect(secretKeyOf('R')).not.toBe(resource('R').attributes.AccessKeyId);
  });

  test('Lightsail answering key operations before it applies them: every step waits, and nothing is lost', async () => {
    for (const operationType of ['CreateBucketAccessKey', 'DeleteBucketAccessKey'] as const) {
      world.fake.lightsail.deferOperations({ operationType, delayMs: 200, outcome: 'Succeeded', times: 20 });
    }
    clean(await world.deploy(rotating({}, { days: 30, graceHours: 24 })), 'CREATE_COMPLETE');
    clean(await world.rotateAll());
    clean(await world.rotateAll());
    clean(await world.expireGracePeriods());
    expect(keysOn('existing')).toEqual([secretKeyOf('R')]);
    clean(await world.deploy(rotating({ serial: 1 }, { days: 30, graceHours: 24 })), 'UPDATE_COMPLETE');
    clean(await world.teardown(), 'DELETE_COMPLETE');
    expect(keysOn('existing')).toEqual([]);
    expect(world.rotationFailures).toBe(0);
  });

  test('a key creation Lightsail fails: the deploy rolls back cleanly, the rotation ends and the next one works', async () => {
    world.fake.lightsail.deferOperations({ operationType: 'CreateBucketAccessKey', delayMs: 50, outcome: 'Failed' });
    clean(await world.deploy(rotating()), 'ROLLBACK_COMPLETE');
    clean(await world.deploy(rotating()), 'CREATE_COMPLETE');
    world.fake.lightsail.deferOperations({ operationType: 'CreateBucketAccessKey', delayMs: 50, outcome: 'Failed' });
    clean(await world.rotateAll());
    expect(world.rotationFailureReasons.join('\n')).toMatch(/Lightsail operation|was ended/);
    const failuresBefore = world.rotationFailures;
    clean(await world.rotateAll());
    expect(world.rotationFailures).toBe(failuresBefore);
    expect(keysOn('existing')).toHaveLength(2);
  });
});

describe("through a stack's whole life", () => {
  test('40 rotating keys with a grace period deploy, and their grace periods end: the schedule names no secret', async () => {
    const buckets = Array.from({ length: 40 }, (_, i) => `grace-period-bucket-name-xx-${String(i).padStart(2, '0')}`);
    const keys = buckets.map((b, i) => key(`K${i}`, b, { rotation: { days: 30, graceHours: 24 } }));
    clean(await world.deploy({ buckets, keys }), 'CREATE_COMPLETE');
    const rule = [...world.cfn.resources.values()].find((r) => r.definition.Type === 'AWS::Events::Rule')!;
    const input = (rule.properties.Targets as Array<{ Input: string }>)[0].Input;
    expect(input.length).toBeLessThan(200);
    clean(await world.rotateAll());
    expect(world.fake.lightsail.allKeys()).toHaveLength(80);
    clean(await world.expireGracePeriods());
    expect(world.fake.lightsail.allKeys()).toHaveLength(40);
  });

  test('a new encryption key, the old one deleted: rotation and teardown still read every version', async () => {
    clean(await world.deploy(rotating({ encryptionKey: 'A' })));
    for (let i = 0; i < 3; i++) clean(await world.rotateAll());
    clean(await world.deploy(rotating({ encryptionKey: 'B' })), 'UPDATE_COMPLETE');
    // Key A left the app: CloudFormation scheduled it for deletion; the oldest versions are still encrypted with it.
    const versions = world.fake.secrets.get(secretArnOf('R'))!.versions;
    expect(new Set(versions.map((v) => v.kmsKeyId)).size).toBe(2);
    clean(await world.rotateAll());
    expect(world.rotationFailures).toBe(0);
    clean(await world.teardown(), 'DELETE_COMPLETE');
    expect(keysOn('existing')).toEqual([]);
  });

  test('turning rotation off deletes the rotated-out key: a second key fits on the bucket in the same deploy', async () => {
    clean(await world.deploy(rotating()));
    clean(await world.rotateAll());
    expect(keysOn('existing')).toHaveLength(2);
    clean(await world.deploy(app([key('R', 'existing'), key('J', 'existing')])), 'UPDATE_COMPLETE');
    expect(keysOn('existing').sort()).toEqual([secretKeyOf('R'), secretKeyOf('J')].sort());
    expect(world.fake.secrets.get(secretArnOf('R'))!.rotation?.enabled).toBe(false);
    // Turned on again, it rotates.
    clean(await world.deploy(rotating()), 'UPDATE_COMPLETE');
    clean(await world.rotateAll());
    expect(keysOn('existing')).toHaveLength(2);
  });

  test.each([false, true])(
    'a schedule changed while a rotation is stuck (the deploy fails after: %s): the stuck rotation ends first',
    async (failAfterKeys) => {
      clean(await world.deploy(rotating()));
      clean(world.createForeignKey('existing'));
      clean(await world.rotateAll());
      expect(world.rotationFailures).toBe(1);
      const changed = { ...rotating({}, { days: 60 }), failAfterKeys };
      clean(await world.deploy(changed), failAfterKeys ? 'UPDATE_ROLLBACK_COMPLETE' : 'UPDATE_COMPLETE');
      expect(pendingVersion(secretArnOf('R'))).toBeUndefined();
      clean(world.deleteForeignKeys());
      clean(await world.rotateAll());
      expect(keysOn('existing')).toHaveLength(2);
    },
  );

  test('rotation turned off while a rotation runs: its key does not outlive it, and the current key stays', async () => {
    clean(await world.deploy(rotating()));
    const current = secretKeyOf('R');
    const created = world.pauseAfter('CreateBucketAccessKey', 'RotationHandler');
    const rotation = world.rotation.rotateOnSchedule(secretArnOf('R'));
    await created.reached;
    expect((await world.deploy(app([key('R', 'existing')]))).status).toBe('UPDATE_COMPLETE');
    created.release();
    expect((await rotation)?.failure).toBeDefined();
    expect(await world.checkInvariants()).toEqual([]);
    expect(keysOn('existing')).toEqual([current]);
    expect(secretKeyOf('R')).toBe(current);
  });
});
