/**
 * Many keys at once under throttling: one deploy of 100 keys on 50 existing buckets given by name (the harder case:
 * each Create also reads the bucket's endpoint, 3 of its 5 calls to Lightsail), while the fake admits 5 Lightsail
 * requests per second and throttles the rest.
 */
import { RESOURCE_TYPE } from '../lib/contract';
import { type AppSpec, synthesize } from '../test/lifecycle/apps';
import { LifecycleWorld } from '../test/lifecycle/world';
import { recordInvocations } from './api-calls';
import { elapsedMs, round } from './stats';

const KEYS = 100;
const KEYS_PER_BUCKET = 2;
const LIGHTSAIL_REQUESTS_PER_SECOND = 5;

export async function measureManyKeysAtOnce() {
  const buckets = Array.from({ length: KEYS / KEYS_PER_BUCKET }, (_, i) => `throttle-bucket-${i}`);
  const spec: AppSpec = {
    buckets: [],
    keys: Array.from({ length: KEYS }, (_, i) => ({ id: `Key${i}`, bucket: buckets[Math.floor(i / KEYS_PER_BUCKET)] })),
  };
  // Synthesized before the clock starts (synthesize() memoizes): the deploy is what is timed.
  const { template } = synthesize(spec);
  const resources = Object.entries(template.Resources);
  const keyIds = new Set(resources.filter(([, r]) => r.Type === RESOURCE_TYPE).map(([id]) => id));
  const handler = resources.find(([, r]) => r.Type === 'AWS::Lambda::Function')![1];
  const lambdaTimeoutMs = Number(handler.Properties?.Timeout ?? 3) * 1000;

  const world = await LifecycleWorld.start();
  try {
    world.beginSequence({ externalBuckets: buckets, lambdaTimeoutMs });
    world.fake.faults.rateLimit('lightsail', LIGHTSAIL_REQUESTS_PER_SECOND);
    const invocations = recordInvocations(world);
    const [startedAt, started] = [Date.now(), process.hrtime.bigint()];
    const report = await world.deploy(spec);
    const wallMs = elapsedMs(started);
    const rollbackAt = invocations.find((i) => i.requestType === 'Delete')?.startedAt ?? Infinity;

    const requests = world.fake.requests;
    const throttled = requests.filter((r) => r.fault === 'rateLimit');
    const retriesByOperation: Record<string, number> = {};
    for (const r of throttled) retriesByOperation[r.operation] = (retriesByOperation[r.operation] ?? 0) + 1;
    const lightsail = requests.filter((r) => r.service === 'lightsail');
    const admittedBeforeRollback = lightsail.filter((r) => r.fault !== 'rateLimit' && r.startedAt < rollbackAt).length;
    // From the stack's events, so that keys created and then rolled back count as created.
    const creates = world.cfn.events.filter((e) => e.action === 'CREATE' && keyIds.has(e.logicalId));
    const failed = creates.filter((e) => e.failure);
    return {
      method:
        `One deploy, all ${KEYS} custom resources invoked at once (a worst case). Retries: calls the fake refused. ` +
        "Create phase: until the rollback's first Delete, if any; its floor: its admitted Lightsail calls at the rate.",
      keys: KEYS,
      bucketsByName: buckets.length,
      lightsailPerSecond: LIGHTSAIL_REQUESTS_PER_SECOND,
      succeeded: creates.length - failed.length,
      failed: failed.length,
      stackStatus: report.status ?? 'unknown',
      wallS: round(wallMs / 1000, 1),
      createPhaseS: round((rollbackAt === Infinity ? wallMs : rollbackAt - startedAt) / 1000, 1),
      // The fake's token bucket starts full (a burst of 5), then admits 5 per second.
      createPhaseFloorS: round(
        (admittedBeforeRollback - LIGHTSAIL_REQUESTS_PER_SECOND) / LIGHTSAIL_REQUESTS_PER_SECOND,
        1,
      ),
      lambdaTimeoutS: lambdaTimeoutMs / 1000,
      lightsailCalls: lightsail.length,
      secretsManagerCalls: requests.length - lightsail.length,
      retries: throttled.length,
      retriesByOperation,
      // Bucket names differ between failures; the reasons are the same.
      failures: [...new Set(failed.map((e) => e.failure!.replace(/"throttle-bucket-\d+"/g, '"<bucket>"')))],
      violations: report.violations.slice(0, 5),
    };
  } finally {
    await world.close();
  }
}
