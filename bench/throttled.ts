/**
 * Many keys at once under throttling: one deploy of one stack with 100 keys on 50 existing buckets (given by name,
 * pre-created in the fake), while the fake lets Lightsail answer 5 requests per second and throttles the rest.
 *
 * Buckets given by name are the harder case: each Create then also calls GetBuckets for the bucket's endpoint, so
 * 3 of its 5 calls go to Lightsail (2 with a CfnBucket). The simulator deploys a dependency wave in parallel, so all
 * 100 custom resources are invoked at once: a worst case, as CloudFormation's own concurrency is lower (and not
 * published).
 */
import { type AppSpec, synthesize } from '../test/lifecycle/apps';
import type { Template } from '../test/lifecycle/template';
import { LifecycleWorld } from '../test/lifecycle/world';
import { recordInvocations } from './invocations';
import { elapsedMs, round } from './stats';

const KEYS = 100;
const KEYS_PER_BUCKET = 2;
const LIGHTSAIL_REQUESTS_PER_SECOND = 5;
const KEY_RESOURCE_TYPE = 'Custom::LightsailBucketAccessKey';

export interface ThrottledResult {
  keys: number;
  buckets: number;
  bucketsGiven: 'bucketName';
  lightsailPerSecond: number;
  succeeded: number;
  stackStatus: string;
  /** The whole deploy, rollback included when there is one. */
  wallMs: number;
  /** From the start of the deploy to the first Delete the handler received (the rollback), or the whole deploy. */
  createPhaseMs: number;
  /** Calls the fake refused for its rate limit: each one is a retry by the SDK or the handler. */
  retries: number;
  retriesByOperation: Record<string, number>;
  lightsailCalls: number;
  secretsManagerCalls: number;
  /** The least time the create phase's admitted Lightsail calls need at the rate limit. */
  createPhaseFloorMs: number;
  /** Lambda timeout applied to each invocation: the template's. */
  lambdaTimeoutMs: number;
  /** Keys whose Create failed, and their distinct failure reasons. */
  failed: number;
  failures: string[];
  violations: string[];
}

export async function measureThrottled(): Promise<ThrottledResult> {
  const buckets = Array.from({ length: KEYS / KEYS_PER_BUCKET }, (_, i) => `throttle-bucket-${i}`);
  const spec: AppSpec = {
    buckets: [],
    keys: Array.from({ length: KEYS }, (_, i) => ({ id: `Key${i}`, bucket: buckets[Math.floor(i / KEYS_PER_BUCKET)] })),
  };
  // Synthesized before the clock starts (synthesize() memoizes): the deploy is what is timed.
  const { template } = synthesize(spec);
  const lambdaTimeoutMs = templateTimeoutMs(template);
  const keyIds = new Set(
    Object.keys(template.Resources).filter((id) => template.Resources[id].Type === KEY_RESOURCE_TYPE),
  );

  const world = await LifecycleWorld.start();
  try {
    world.beginSequence({ externalBuckets: buckets, lambdaTimeoutMs });
    world.fake.faults.rateLimit('lightsail', LIGHTSAIL_REQUESTS_PER_SECOND);
    const invocations = recordInvocations(world);
    const startedAt = Date.now();
    const started = process.hrtime.bigint();
    const report = await world.deploy(spec);
    const wallMs = elapsedMs(started);
    const rollbackAt = invocations.find((i) => i.requestType === 'Delete')?.startedAt;

    const requests = world.fake.requests;
    const throttled = requests.filter((r) => r.fault === 'rateLimit');
    const retriesByOperation: Record<string, number> = {};
    for (const r of throttled) retriesByOperation[r.operation] = (retriesByOperation[r.operation] ?? 0) + 1;
    const lightsailCalls = requests.filter((r) => r.service === 'lightsail').length;
    // From the stack's events, so keys that were created and then rolled back still count as created.
    const creates = world.cfn.events.filter((e) => e.action === 'CREATE' && keyIds.has(e.logicalId));
    const failedCreates = creates.filter((e) => e.failure);
    const admittedInCreatePhase = requests.filter(
      (r) => r.service === 'lightsail' && r.fault !== 'rateLimit' && r.startedAt < (rollbackAt ?? Infinity),
    ).length;
    return {
      keys: KEYS,
      buckets: buckets.length,
      bucketsGiven: 'bucketName',
      lightsailPerSecond: LIGHTSAIL_REQUESTS_PER_SECOND,
      succeeded: creates.length - failedCreates.length,
      stackStatus: report.status ?? 'unknown',
      wallMs: round(wallMs, 0),
      createPhaseMs: rollbackAt === undefined ? round(wallMs, 0) : rollbackAt - startedAt,
      retries: throttled.length,
      retriesByOperation,
      lightsailCalls,
      secretsManagerCalls: requests.length - lightsailCalls,
      // The token bucket starts full (a burst of 5), then admits 5 per second.
      createPhaseFloorMs: Math.round(
        ((admittedInCreatePhase - LIGHTSAIL_REQUESTS_PER_SECOND) / LIGHTSAIL_REQUESTS_PER_SECOND) * 1000,
      ),
      lambdaTimeoutMs,
      failed: failedCreates.length,
      // Bucket names differ between failures; the reason is the same.
      failures: [...new Set(failedCreates.map((e) => e.failure!.replace(/"throttle-bucket-\d+"/g, '"<bucket>"')))],
      violations: report.violations.slice(0, 5),
    };
  } finally {
    await world.close();
  }
}

function templateTimeoutMs(template: Template): number {
  const handler = Object.values(template.Resources).find((r) => r.Type === 'AWS::Lambda::Function');
  return Number(handler?.Properties?.Timeout ?? 3) * 1000;
}
