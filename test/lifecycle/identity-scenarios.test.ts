/**
 * A key keeps its identity through what users and releases do to a deployed stack: a new logical id for its custom
 * resource (an escape hatch), and an upgrade of the library that changes the template. Each ends with the key alive
 * and recorded, and a teardown that deletes it.
 */
import { keyResources } from './invariants';
import { app, clean, key, keyReads } from './scenario-kit';
import { LifecycleWorld } from './world';

jest.setTimeout(120_000);

let world: LifecycleWorld;
beforeAll(async () => {
  world = await LifecycleWorld.start();
});
afterAll(() => world.close());
beforeEach(() => world.beginSequence({ externalBuckets: ['existing'] }));

const { keysOn, resource, secretKeyOf } = keyReads(() => world);

const owners = (secretArn: string) =>
  world.fake.secrets
    .get(secretArn)!
    .versions.flatMap((v) => v.stages)
    .filter((s) => s.startsWith('lineage:owner:'));

describe('the custom resource given a new logical id', () => {
  test('the new resource takes the lineage over; the old one lets go of it at cleanup, and the key stays', async () => {
    clean(await world.deploy(app([key('K', 'existing')])));
    const before = { secret: resource('K').physicalId, key: secretKeyOf('K') };
    const oldLogicalId = resource('K').logicalId;
    clean(await world.deploy(app([key('K', 'existing', { resourceLogicalId: 'Renamed' })])), 'UPDATE_COMPLETE');
    const cleanup = world.cfn.events.filter((e) => e.action === 'Delete (cleanup)').map((e) => e.logicalId);
    expect(cleanup).toContain(oldLogicalId);
    expect({ secret: resource('Renamed').physicalId, key: secretKeyOf('Renamed') }).toEqual(before);
    expect(keysOn('existing')).toEqual([before.key]);
    clean(await world.teardown(), 'DELETE_COMPLETE');
    expect(keysOn('existing')).toEqual([]);
  });

  test('...and when that deploy fails, its rollback deletes the new resource and leaves the key with the old one', async () => {
    clean(await world.deploy(app([key('K', 'existing')])));
    const kept = secretKeyOf('K');
    clean(
      await world.deploy(app([key('K', 'existing', { resourceLogicalId: 'Renamed' })], { failAfterKeys: true })),
      'UPDATE_ROLLBACK_COMPLETE',
    );
    expect(keysOn('existing')).toEqual([kept]);
    expect(secretKeyOf('K')).toBe(kept);
    clean(await world.deploy(app([key('K', 'existing')])), 'UPDATE_COMPLETE');
    clean(await world.teardown(), 'DELETE_COMPLETE');
    expect(keysOn('existing')).toEqual([]);
  });
});

test('an upgrade from the previous release: keys are updated in place, keep their keys, and still rotate', async () => {
  const keys = [key('K', 'media'), key('R', 'existing', { rotation: { days: 30, graceHours: 24 } })];
  clean(await world.deploy(app(keys, { previousRelease: true })), 'CREATE_COMPLETE');
  // The previous release's handlers recorded no owner on a lineage.
  for (const r of keyResources(world.cfn))
    world.fake.secrets.removeStages(r.physicalId, (s) => s.startsWith('lineage:'));
  const before = new Map(keyResources(world.cfn).map((r) => [r.logicalId, secretKeyOf(r.logicalId)]));
  clean(await world.deploy(app(keys)), 'UPDATE_COMPLETE');
  expect(new Map(keyResources(world.cfn).map((r) => [r.logicalId, secretKeyOf(r.logicalId)]))).toEqual(before);
  // Every key's resource gets new properties (its ServiceTimeout; the rotating key's schedule): an Update, which
  // adopts the key and records its owner.
  const updated = world.cfn.events.filter((e) => e.action === 'UPDATE' && !e.failure).map((e) => e.logicalId);
  expect(updated).toEqual(expect.arrayContaining([resource('K').logicalId, resource('R').logicalId]));
  expect(owners(resource('R').physicalId)).toEqual([`lineage:owner:${resource('R').logicalId}`]);
  clean(await world.rotateAll());
  clean(await world.expireGracePeriods());
  expect(keysOn('existing')).toEqual([secretKeyOf('R')]);
  clean(await world.teardown(), 'DELETE_COMPLETE');
  expect(world.fake.lightsail.allKeys()).toEqual([]);
});
