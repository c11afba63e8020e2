/**
 * Every CloudFormation path and every fault kind, one scenario each, on the real synthesized template and the real
 * bundled handler running against the wire-level fakes. Each step also checks the invariants (world.ts).
 */
import { app, clean, key, keyReads } from './scenario-kit';
import { LifecycleWorld } from './world';

jest.setTimeout(120_000);

let world: LifecycleWorld;
beforeAll(async () => {
  world = await LifecycleWorld.start();
});
afterAll(() => world.close());

const { keysOn, resource, secretKeyOf } = keyReads(() => world);

const failures = () => world.cfn.events.filter((e) => e.failure).map((e) => e.failure!);

describe('CloudFormation paths', () => {
  beforeEach(() => world.beginSequence({ externalBuckets: ['existing'] }));

  test('create: the key exists, its secret holds it, the response and logs hold no secret', async () => {
    clean(await world.deploy(app([key('K', 'media')])), 'CREATE_COMPLETE');
    expect(keysOn('media')).toEqual([secretKeyOf('K')]);
    expect(resource('K').attributes).toEqual({
      AccessKeyId: secretKeyOf('K'),
      SecretArn: resource('K').physicalId,
      BucketName: 'media',
    });
  });

  test('update without replacement: same key, same physical id', async () => {
    clean(await world.deploy(app([key('K', 'existing')])));
    const before = { physicalId: resource('K').physicalId, key: secretKeyOf('K') };
    clean(await world.deploy(app([key('K', 'existing', { retain: true })])), 'UPDATE_COMPLETE');
    expect({ physicalId: resource('K').physicalId, key: secretKeyOf('K') }).toEqual(before);
    expect(world.cfn.events.some((e) => e.action === 'UPDATE' && e.logicalId.startsWith('K'))).toBe(true);
  });

  test('replacement by serial: a new key in a new secret; the old key goes at cleanup', async () => {
    clean(await world.deploy(app([key('K', 'media')])));
    const old = { physicalId: resource('K').physicalId, key: secretKeyOf('K')! };
    clean(await world.deploy(app([key('K', 'media', { serial: 1 })])), 'UPDATE_COMPLETE');
    expect(resource('K').physicalId).not.toBe(old.physicalId);
    expect(keysOn('media')).toEqual([secretKeyOf('K')]);
    expect(world.fake.secrets.get(old.physicalId)).toBeUndefined();
    const cleanup = world.cfn.events.filter((e) => e.action === 'Delete (cleanup)').map((e) => e.physicalId);
    expect(cleanup).toContain(old.physicalId);
  });

  test('replacement by bucket: the key moves to the other bucket', async () => {
    clean(await world.deploy(app([key('K', 'media')])));
    clean(await world.deploy(app([key('K', 'existing')])), 'UPDATE_COMPLETE');
    expect(keysOn('media')).toEqual([]);
    expect(keysOn('existing')).toEqual([secretKeyOf('K')]);
  });

  test.each(['old', 'new'] as const)(
    'update rollback (rollback Update carrying the %s physical id): the old key and secret are untouched',
    async (rollbackPhysicalId) => {
      world.cfn.options.rollbackPhysicalId = rollbackPhysicalId;
      clean(await world.deploy(app([key('K', 'media')])));
      const before = { physicalId: resource('K').physicalId, key: secretKeyOf('K') };
      clean(
        await world.deploy(app([key('K', 'media', { serial: 1 })], { failAfterKeys: true })),
        'UPDATE_ROLLBACK_COMPLETE',
      );
      expect({ physicalId: resource('K').physicalId, key: secretKeyOf('K') }).toEqual(before);
      expect(keysOn('media')).toEqual([before.key]);
      expect(world.cfn.events.map((e) => e.action)).toEqual(
        expect.arrayContaining(['UPDATE (rollback)', 'Delete (rollback)']),
      );
    },
  );

  test('a failed first deploy rolls back to nothing', async () => {
    clean(
      await world.deploy(app([key('K', 'media'), key('J', 'existing')], { failAfterKeys: true })),
      'ROLLBACK_COMPLETE',
    );
    expect(world.fake.lightsail.allKeys()).toEqual([]);
    expect(world.fake.secrets.all()).toEqual([]);
  });

  test('stack delete: every key, secret and bucket goes', async () => {
    clean(await world.deploy(app([key('K', 'media'), key('J', 'media'), key('E', 'existing')])));
    expect(world.fake.lightsail.allKeys()).toHaveLength(3);
    clean(await world.teardown(), 'DELETE_COMPLETE');
    expect(world.fake.lightsail.allKeys()).toEqual([]);
    expect(world.fake.secrets.all()).toEqual([]);
    expect(world.fake.lightsail.bucketExists('media')).toBe(false);
  });

  test('stack delete with RETAIN keeps that key and its secret, and deletes the rest', async () => {
    clean(await world.deploy(app([key('K', 'media'), key('R', 'existing', { retain: true })])));
    const retained = secretKeyOf('R');
    clean(await world.teardown(), 'DELETE_COMPLETE');
    expect(keysOn('existing')).toEqual([retained]);
    expect(world.fake.secrets.all()).toHaveLength(1);
  });

  test('removing a key from the app deletes it at cleanup', async () => {
    clean(await world.deploy(app([key('K', 'media'), key('J', 'media')])));
    clean(await world.deploy(app([key('K', 'media')])), 'UPDATE_COMPLETE');
    expect(keysOn('media')).toEqual([secretKeyOf('K')]);
  });

  test.each([2, 3])('every request delivered %i times at once still makes one key per lineage', async (deliveries) => {
    world.cfn.options.deliveries = deliveries;
    clean(await world.deploy(app([key('K', 'media'), key('E', 'existing')])), 'CREATE_COMPLETE');
    clean(await world.deploy(app([key('K', 'media', { serial: 1 }), key('E', 'existing')])), 'UPDATE_COMPLETE');
    expect(keysOn('media')).toEqual([secretKeyOf('K')]);
    clean(await world.teardown(), 'DELETE_COMPLETE');
    expect(world.fake.lightsail.allKeys()).toEqual([]);
  });
});

describe('the handler dies between two AWS calls, and Lambda retries the request', () => {
  beforeEach(() => world.beginSequence({ externalBuckets: ['existing'] }));

  test('after PutSecretValue took effect: the retry adopts the written key', async () => {
    world.crashAfter('PutSecretValue');
    clean(await world.deploy(app([key('K', 'media')])), 'CREATE_COMPLETE');
    expect(keysOn('media')).toEqual([secretKeyOf('K')]);
    expect(world.unrecordable.size).toBe(0);
  });

  test('after DeleteBucketAccessKey took effect: the retried delete finds nothing left to do', async () => {
    clean(await world.deploy(app([key('K', 'media')])));
    world.crashAfter('DeleteBucketAccessKey');
    clean(await world.teardown(), 'DELETE_COMPLETE');
    expect(world.fake.lightsail.allKeys()).toEqual([]);
  });

  test('after CreateBucketAccessKey took effect: one key is left that no secret records, and no more', async () => {
    world.crashAfter('CreateBucketAccessKey');
    clean(await world.deploy(app([key('K', 'existing')])), 'CREATE_COMPLETE');
    const [lost] = [...world.unrecordable];
    expect(keysOn('existing').sort()).toEqual([lost, secretKeyOf('K')].sort());
  });

  test('...and when that leaves no free slot, the retry says which keys hold the slots and what to do', async () => {
    clean(await world.deploy(app([key('J', 'existing')])));
    world.crashAfter('CreateBucketAccessKey');
    clean(await world.deploy(app([key('J', 'existing'), key('K', 'existing')])), 'UPDATE_ROLLBACK_COMPLETE');
    const [lost] = [...world.unrecordable];
    const reason = failures().find((f) => f.includes('already has 2 access keys'))!;
    expect(reason).toContain(lost);
    expect(reason).toContain("None of them is recorded in this key's secret");
    expect(reason).toContain('aws lightsail delete-bucket-access-key --bucket-name existing');
  });
});

describe('faults of the AWS APIs', () => {
  beforeEach(() => world.beginSequence({ externalBuckets: ['existing'] }));

  test.each([
    ['throttling (400 ThrottlingException)', 'throttle'],
    ['throttling (429)', 'throttle429'],
    ['server errors (5xx)', 'serverError'],
    ['dropped connections', 'drop'],
  ] as const)('%s on every operation are retried: create, replace and delete succeed', async (_, kind) => {
    for (const service of ['lightsail', 'secretsmanager'] as const) world.inject({ service, kind, times: 3 });
    clean(await world.deploy(app([key('K', 'media')])), 'CREATE_COMPLETE');
    for (const service of ['lightsail', 'secretsmanager'] as const) world.inject({ service, kind, times: 3 });
    clean(await world.deploy(app([key('K', 'media', { serial: 1 })])), 'UPDATE_COMPLETE');
    for (const service of ['lightsail', 'secretsmanager'] as const) world.inject({ service, kind, times: 3 });
    clean(await world.teardown(), 'DELETE_COMPLETE');
    expect(world.fake.requests.filter((r) => r.fault === kind).length).toBeGreaterThanOrEqual(6);
  });

  test('added latency slows the handler but changes nothing', async () => {
    world.fake.faults.latency('lightsail', 50);
    world.fake.faults.latency('secretsmanager', 50);
    clean(await world.deploy(app([key('K', 'media')])), 'CREATE_COMPLETE');
    clean(await world.teardown(), 'DELETE_COMPLETE');
  });

  test('a rate limit on Lightsail: many keys created at once all succeed', async () => {
    world.beginSequence({ externalBuckets: ['b-1', 'b-2', 'b-3', 'b-4'] });
    world.fake.faults.rateLimit('lightsail', 5);
    const keys = [1, 2, 3, 4].flatMap((i) => [key(`K${i}a`, `b-${i}`), key(`K${i}b`, `b-${i}`)]);
    clean(await world.deploy({ buckets: [], keys }), 'CREATE_COMPLETE');
    expect(world.fake.lightsail.allKeys()).toHaveLength(8);
    expect(world.fake.requests.some((r) => r.fault === 'rateLimit')).toBe(true);
  });

  test('a lost PutSecretValue answer is retried with the same token: one version, no orphan', async () => {
    world.inject({ service: 'secretsmanager', operation: 'PutSecretValue', kind: 'dropAfterCommit' });
    clean(await world.deploy(app([key('K', 'media')])), 'CREATE_COMPLETE');
    const secret = world.fake.secrets.get(resource('K').physicalId)!;
    expect(secret.versions).toHaveLength(2); // the placeholder and the key
  });

  test('a lost CreateBucketAccessKey answer is not retried blindly: the error names the key that appeared', async () => {
    world.inject({ service: 'lightsail', operation: 'CreateBucketAccessKey', kind: 'dropAfterCommit' });
    clean(await world.deploy(app([key('K', 'existing')])), 'ROLLBACK_COMPLETE');
    const [lost] = [...world.unrecordable];
    expect(keysOn('existing')).toEqual([lost]);
    expect(failures().join('\n')).toContain(`the bucket now has a key it did not have before: ${lost}`);
  });

  test('the two-key limit: a replacement with no free slot fails before anything changes', async () => {
    clean(await world.deploy(app([key('K', 'media'), key('J', 'media')])));
    const before = keysOn('media').sort();
    clean(await world.deploy(app([key('K', 'media', { serial: 1 }), key('J', 'media')])), 'UPDATE_ROLLBACK_COMPLETE');
    expect(keysOn('media').sort()).toEqual(before);
    expect(failures().join('\n')).toContain('replacing a key (a changed bucket or serial) needs a free slot');
  });

  test('a key deleted out of band is replaced at the next update of its resource', async () => {
    clean(await world.deploy(app([key('K', 'existing')])));
    clean(world.deleteKeyOutOfBand());
    clean(await world.deploy(app([key('K', 'existing', { retain: true })])), 'UPDATE_COMPLETE');
    expect(keysOn('existing')).toEqual([secretKeyOf('K')]);
  });

  test('a rollback to a lineage whose key was deleted out of band, whose replacement Lightsail fails after it was recorded: the rollback keeps that record, the next update replaces it', async () => {
    clean(await world.deploy(app([key('K', 'existing')])));
    clean(world.deleteKeyOutOfBand());
    world.fake.lightsail.deferOperations({ operationType: 'CreateBucketAccessKey', delayMs: 50, outcome: 'Failed' });
    const moved = app([key('K', 'existing', { serial: 1 })], { failAfterKeys: true, failDuringKeys: 'GetSecretValue' });
    clean(await world.deploy(moved), 'UPDATE_ROLLBACK_COMPLETE');
    const restored = world.outputs().filter((line) => line.includes('"outcome":"restored"'));
    expect(restored.join('\n')).toContain('The Lightsail operation creating key');
    // The next update of the resource replaces the key, as after any deletion out of band.
    clean(await world.deploy(app([key('K', 'existing', { retain: true })])), 'UPDATE_COMPLETE');
    expect(keysOn('existing')).toEqual([secretKeyOf('K')]);
  });

  test('a bucket deleted out of band: the stack still deletes', async () => {
    clean(await world.deploy(app([key('K', 'existing')])));
    world.fake.lightsail.deleteBucket('existing');
    clean(await world.teardown(), 'DELETE_COMPLETE');
  });

  test('a secret scheduled for deletion out of band: its key is still deleted with the stack', async () => {
    clean(await world.deploy(app([key('K', 'existing')])));
    clean(world.scheduleSecretDeletionOutOfBand());
    clean(await world.teardown(), 'DELETE_COMPLETE');
    expect(world.fake.lightsail.allKeys()).toEqual([]);
  });
});

describe('CloudFormation gives up on a key while its Create runs', () => {
  beforeEach(() => world.beginSequence({ externalBuckets: ['existing'] }));
  const orphans = () => world.fake.lightsail.allKeys().map((k) => k.accessKeyId);
  const cancelled = () => world.cfn.events.filter((e) => e.failure === 'Resource creation cancelled');

  test.each([
    ['before it recorded its key', 'CreateBucketAccessKey'],
    ['after it recorded its key', 'PutSecretValue'],
  ])(
    'another resource fails %s: the Delete under the id CloudFormation made up deletes that key',
    async (_, operation) => {
      // Given a first deploy whose other resource fails while the key's handler is at `operation`
      const report = await world.deploy(app([key('K', 'existing')], { failDuringKeys: operation }));

      // Then CloudFormation cancelled the Create and sent its Delete under a physical id of its own,
      const [cancellation] = cancelled();
      expect(cancellation.physicalId).toMatch(/^SimStack-K[0-9A-F]{8}-[A-Z0-9]{12}$/);
      const deletes = world.cfn.events.filter((e) => e.action === 'Delete (rollback)' && e.logicalId.startsWith('K'));
      expect(deletes.map((e) => e.physicalId)).toContain(cancellation.physicalId);
      // and once the handler finished, no key is left and nothing leaked.
      clean(report, 'ROLLBACK_COMPLETE');
      expect(orphans()).toEqual([]);
    },
  );

  test.each([
    ['applies it late: no key is left, and none counts as one no handler saw', 'Succeeded', 0],
    ['fails it later: the key is left, counted as unrecorded (the one handler that knew it died)', 'Failed', 1],
  ] as const)(
    'the cancelled Create deletes the key it could not record and dies right after asking; Lightsail %s',
    async (_, outcome, unseen) => {
      // The Delete closes the lineage first, so the Create cannot record its key and deletes it again; Lightsail
      // answers that delete before it applies it, and the handler is killed right after asking.
      world.crashAfter('DeleteBucketAccessKey');
      world.fake.lightsail.deferOperations({ operationType: 'DeleteBucketAccessKey', delayMs: 200, outcome });
      const report = await world.deploy(app([key('K', 'existing')], { failDuringKeys: 'GetSecretValue' }));
      world.fake.lightsail.clearDeferrals();

      clean(report, 'ROLLBACK_COMPLETE');
      expect(cancelled()).toHaveLength(1);
      expect(world.fake.requests.filter((r) => r.operation === 'DeleteBucketAccessKey')).toHaveLength(1);
      expect(world.unrecordable.size).toBe(unseen);
      expect(orphans()).toEqual([...world.unrecordable]);
      clean(await world.teardown(), 'DELETE_COMPLETE');
    },
  );

  test('a key added by an update is cancelled after it recorded its key: the rollback leaves only the old key', async () => {
    clean(await world.deploy(app([key('J', 'existing')])));
    const old = secretKeyOf('J');
    clean(
      await world.deploy(app([key('J', 'existing'), key('K', 'existing')], { failDuringKeys: 'PutSecretValue' })),
      'UPDATE_ROLLBACK_COMPLETE',
    );
    expect(cancelled()).toHaveLength(1);
    expect(keysOn('existing')).toEqual([old]);
  });

  test('a Create whose answer never reaches CloudFormation: the Delete under a made-up id deletes its key', async () => {
    // Every answer of the first request is refused (4 attempts per invocation, 3 invocations): CloudFormation
    // sees no answer, gives up on the resource, and rolls back.
    world.responses.failNext = 12;
    const report = await world.deploy(app([key('K', 'existing')]));
    world.responses.failNext = 0;
    clean(report, 'ROLLBACK_COMPLETE');
    expect(world.cfn.events.some((e) => e.failure?.includes('no answer'))).toBe(true);
    expect(orphans()).toEqual([]);
  });
});

describe('the same stack deployed again after a delete', () => {
  beforeEach(() => world.beginSequence({ externalBuckets: ['existing'] }));

  test('after a delete that retained a key, the new stack deploys beside it', async () => {
    clean(await world.deploy(app([key('R', 'existing', { retain: true })])));
    const retained = secretKeyOf('R')!;
    clean(await world.teardown(), 'DELETE_COMPLETE');

    clean(await world.deploy(app([key('R', 'existing', { retain: true })])), 'CREATE_COMPLETE');

    expect(keysOn('existing').sort()).toEqual([retained, secretKeyOf('R')].sort());
    expect(world.fake.secrets.all()).toHaveLength(2);
  });

  test('right after a plain delete, while Secrets Manager still deletes the old secrets: it deploys', async () => {
    clean(await world.deploy(app([key('K', 'media'), key('E', 'existing')])));
    const firstStack = world.cfn.stack.stackId;

    clean(await world.redeployAfterDelete(app([key('K', 'media'), key('E', 'existing')])), 'CREATE_COMPLETE');

    expect(world.cfn.stack.stackId).not.toBe(firstStack);
    expect(keysOn('media')).toEqual([secretKeyOf('K')]);
    expect(keysOn('existing')).toEqual([secretKeyOf('E')]);
  });
});

test('a stack deployed under another name than it was synthesized with (a StackSet instance): its keys go with it', async () => {
  world.beginSequence({ externalBuckets: ['existing'], deployedStackName: 'StackSet-media-0a1b2c3d' });
  clean(await world.deploy(app([key('K', 'existing')])), 'CREATE_COMPLETE');
  expect(resource('K').physicalId).toContain(':secret:lightsail-bucket-access-key/StackSet-media-0a1b2c3d/');
  clean(await world.deploy(app([key('K', 'existing', { serial: 1 })])), 'UPDATE_COMPLETE');
  expect(keysOn('existing')).toEqual([secretKeyOf('K')]);
  clean(await world.teardown(), 'DELETE_COMPLETE');
  expect(world.fake.lightsail.allKeys()).toEqual([]);
});

describe('CloudFormation force-deletes a stack bucket, keys and all', () => {
  beforeEach(() => world.beginSequence({ externalBuckets: ['existing'] }));

  test('a key no handler saw does not keep the stack from deleting its bucket', async () => {
    world.crashAfter('CreateBucketAccessKey');
    clean(await world.deploy(app([key('K', 'media')])), 'CREATE_COMPLETE');
    const [lost] = [...world.unrecordable];
    expect(keysOn('media')).toContain(lost);

    clean(await world.teardown(), 'DELETE_COMPLETE');

    expect(world.fake.lightsail.bucketExists('media')).toBe(false);
    expect(world.unrecordedKeys()).toMatchObject({ total: 1, deletedWithBucket: 1, leftOnExternalBuckets: 0 });
  });

  test('nor a failed first deploy from rolling back', async () => {
    world.crashAfter('CreateBucketAccessKey');
    clean(await world.deploy(app([key('K', 'media')], { failAfterKeys: true })), 'ROLLBACK_COMPLETE');
    expect(world.unrecordedKeys()).toMatchObject({ total: 1, deletedWithBucket: 1 });
  });
});

test('the handlers run on the Node.js major of their Lambda runtime (nodejs24.x)', () => {
  expect([...world.lambda.nodeVersions].map((v) => v.split('.')[0])).toEqual(['v24']);
});

test('no generated secret appears anywhere in the synthesized cloud assemblies', () => {
  expect(world.allSecrets.length).toBeGreaterThan(0);
  expect(world.checkAssembliesForLeaks()).toEqual([]);
});

describe('scheduled rotation, driven as Secrets Manager does', () => {
  beforeEach(() => world.beginSequence({ externalBuckets: ['existing'] }));
  const rotating = (graceHours?: number) => app([key('R', 'existing', { rotation: { days: 30, graceHours } })]);

  test('a rotation makes a new current key; the previous one stays for its grace period; a bucket never holds three', async () => {
    clean(await world.deploy(rotating()));
    const first = secretKeyOf('R')!;
    clean(await world.rotateAll());
    const second = secretKeyOf('R')!;
    expect(second).not.toBe(first);
    expect(keysOn('existing').sort()).toEqual([first, second].sort());
    clean(await world.rotateAll());
    const third = secretKeyOf('R')!;
    expect(keysOn('existing').sort()).toEqual([second, third].sort());
    expect(world.rotationFailures).toBe(0);
  });

  test('the next deploy reports the rotated key as AccessKeyId, and teardown deletes every key', async () => {
    clean(await world.deploy(rotating()));
    clean(await world.rotateAll());
    clean(await world.deploy(app([key('R', 'existing', { rotation: { days: 30 }, retain: true })])), 'UPDATE_COMPLETE');
    expect(resource('R').attributes.AccessKeyId).toBe(secretKeyOf('R'));
    clean(await world.deploy(rotating()));
    clean(await world.teardown(), 'DELETE_COMPLETE');
    expect(keysOn('existing')).toEqual([]);
  });

  test('when the grace period ends, the previous key goes', async () => {
    clean(await world.deploy(rotating(24)));
    clean(await world.rotateAll());
    expect(keysOn('existing')).toHaveLength(2);
    clean(await world.expireGracePeriods());
    expect(keysOn('existing')).toEqual([secretKeyOf('R')]);
  });

  test('a rotation whose handler dies after CreateBucketAccessKey: the retry names the key left behind; once it is deleted, rotation works', async () => {
    clean(await world.deploy(rotating()));
    world.crashAfter('CreateBucketAccessKey');
    clean(await world.rotateAll());
    const [lost] = [...world.unrecordable];
    expect(world.rotationFailureReasons.join('\n')).toContain(lost);
    expect(world.rotationFailureReasons.join('\n')).toContain('already has 2 access keys');
    expect(world.operatorDeletesUnrecordedKeys()).toBe(true);
    clean(await world.rotateAll());
    expect(world.rotationFailures).toBe(1);
    expect(keysOn('existing')).toHaveLength(2);
  });

  test.each(['PutSecretValue', 'UpdateSecretVersionStage', 'DeleteBucketAccessKey'])(
    'a rotation whose handler dies after %s took effect completes when Secrets Manager retries it',
    async (operation) => {
      clean(await world.deploy(rotating()));
      clean(await world.rotateAll());
      world.crashAfter(operation);
      clean(await world.rotateAll());
      expect(world.rotationFailures).toBe(0);
      expect(keysOn('existing')).toHaveLength(2);
    },
  );

  test('throttling and dropped connections during a rotation are retried', async () => {
    clean(await world.deploy(rotating()));
    for (const kind of ['throttle', 'drop', 'serverError'] as const) {
      world.inject({ service: 'secretsmanager', kind, times: 2 });
      world.inject({ service: 'lightsail', kind, times: 2 });
      clean(await world.rotateAll());
    }
    expect(world.rotationFailures).toBe(0);
  });

  test("a serial bump of a rotated key ends its previous key's grace early, and rolls back to the current key", async () => {
    clean(await world.deploy(rotating()));
    clean(await world.rotateAll());
    const current = secretKeyOf('R');
    const bumped = app([key('R', 'existing', { rotation: { days: 30 }, serial: 1 })]);
    clean(await world.deploy({ ...bumped, failAfterKeys: true }), 'UPDATE_ROLLBACK_COMPLETE');
    expect(keysOn('existing')).toEqual([current]);
    clean(await world.deploy(bumped), 'UPDATE_COMPLETE');
    expect(keysOn('existing')).toEqual([secretKeyOf('R')]);
    expect(secretKeyOf('R')).not.toBe(current);
  });
});
