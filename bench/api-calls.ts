/**
 * AWS calls per lifecycle event of one key on one bucket, through the CloudFormation simulator (the real template,
 * the real handler bundle in child processes, the wire-level fakes): Create, a no-op Update (only the removal policy
 * changes), a deploy with no change, a replacement (serial bump: an Update to the new lineage, then the old
 * lineage's Delete at cleanup) and Delete (stack teardown).
 */
import { RESOURCE_TYPE } from '../lib/contract';
import type { RequestRecord } from '../test/fakes/aws-fake';
import { type AppSpec, type KeySpec, synthesize } from '../test/lifecycle/apps';
import type { Template } from '../test/lifecycle/template';
import { LifecycleWorld, type StepReport } from '../test/lifecycle/world';
import { median, round } from './stats';

/** Added to every AWS call, so that calls issued in parallel clearly overlap in the fake's request log. */
const LATENCY_MS = 50;
const REPETITIONS = 5;
const STACK_BUCKET = 'media';
const EXTERNAL_BUCKET = 'existing';

/** Records each event as the simulator hands it to the function (this world's Lambda stand-in only). */
export function recordInvocations(world: LifecycleWorld): Array<{ requestType: string; startedAt: number }> {
  const invocations: Array<{ requestType: string; startedAt: number }> = [];
  const invoke = world.lambda.invokeAsync.bind(world.lambda);
  world.lambda.invokeAsync = (functionArn, event, deliveries) => {
    // Epoch milliseconds, the clock of the fake's request log.
    invocations.push({ requestType: (event as { RequestType: string }).RequestType, startedAt: Date.now() });
    return invoke(functionArn, event, deliveries);
  };
  return invocations;
}

interface Sample {
  calls: RequestRecord[];
  /** The handler's own durationMs, from its log line. */
  handlerMs?: number;
  invocations: number;
}

export async function measureCallsPerEvent() {
  const world = await LifecycleWorld.start();
  const invocations = recordInvocations(world);
  const violations: string[] = [];

  /** One deploy or teardown: a sample per event the handler got, which must be the `expected` ones. */
  const step = async (expected: string[], run: () => Promise<StepReport>): Promise<Sample[]> => {
    const [requests, output, invoked] = [world.fake.requests.length, world.lambda.output.length, invocations.length];
    const report = await run();
    const delivered = invocations.slice(invoked);
    const got = delivered.map((i) => i.requestType);
    if (got.join() !== expected.join()) report.violations.push(`expected events [${expected}], got [${got}]`);
    violations.push(...report.violations.map((v) => `${report.step}: ${v}`));
    const calls = world.fake.requests.slice(requests);
    const logs = world.lambda.output.slice(output).flatMap((line) => {
      try {
        return [JSON.parse(line) as { requestType?: string; durationMs?: number }];
      } catch {
        return [];
      }
    });
    // The events of one key's step are sequential (CloudFormation waits for each answer), so each call belongs to
    // the last event delivered before it started.
    return delivered.map(({ requestType, startedAt }, i) => ({
      calls: calls.filter((c) => c.startedAt >= startedAt && c.startedAt < (delivered[i + 1]?.startedAt ?? Infinity)),
      handlerMs: logs.find((l) => l?.requestType === requestType && typeof l.durationMs === 'number')?.durationMs,
      invocations: 1,
    }));
  };

  /** Every event once per repetition, each repetition on a fresh account. */
  const measure = async (bucket: string) => {
    const samples: Record<string, Sample[]> = {};
    const add = (event: string, sample: Sample) => (samples[event] ??= []).push(sample);
    const deploy = (key: Partial<KeySpec> = {}) => world.deploy(keyApp(bucket, key));
    for (let rep = 0; rep < REPETITIONS; rep++) {
      world.beginSequence({ externalBuckets: [EXTERNAL_BUCKET] });
      world.fake.faults.latency('lightsail', LATENCY_MS);
      world.fake.faults.latency('secretsmanager', LATENCY_MS);
      add('create', (await step(['Create'], () => deploy()))[0]);
      // Only the removal policy changes: CloudFormation sends an Update that keeps the key (and its physical id).
      add('noopUpdate', (await step(['Update'], () => deploy({ retain: true })))[0]);
      await step(['Update'], () => deploy());
      // The same template again: CloudFormation sends the handler nothing.
      add('unchangedDeploy', (await step([], () => deploy()))[0] ?? { calls: [], handlerMs: 0, invocations: 0 });
      const [replaceUpdate, replaceCleanupDelete] = await step(['Update', 'Delete'], () => deploy({ serial: 1 }));
      add('replaceUpdate', replaceUpdate);
      add('replaceCleanupDelete', replaceCleanupDelete);
      add('delete', (await step(['Delete'], () => world.teardown()))[0]);
    }
    return Object.fromEntries(Object.entries(samples).map(([event, list]) => [event, summarize(list)]));
  };

  try {
    return {
      method:
        `Medians of ${REPETITIONS} lifecycles on fresh accounts, ${LATENCY_MS} ms added to every AWS call. Sequential: ` +
        "the longest chain of calls each started after the previous ended, from the fake's log. Stable: the same " +
        'calls at the same levels every time. Handler ms: its own `durationMs`.',
      latencyMsPerCall: LATENCY_MS,
      repetitions: REPETITIONS,
      ...lambdaHops(synthesize(keyApp(STACK_BUCKET)).template),
      violations,
      byBucketName: await measure(EXTERNAL_BUCKET),
      byCfnBucket: await measure(STACK_BUCKET),
    };
  } finally {
    await world.close();
  }
}

/** One key, on the stack's CfnBucket or on an existing bucket given by name. */
const keyApp = (bucket: string, key: Partial<KeySpec> = {}): AppSpec => ({
  buckets: [STACK_BUCKET],
  keys: [{ id: 'Key', bucket, ...key }],
});

function summarize(samples: Sample[]) {
  const levels = samples.map((s) => levelsOf(s.calls));
  const described = levels.map((l) => l.map((ops) => ops.join(' + ')).join(' → '));
  return {
    calls: median(samples.map((s) => s.calls.length)),
    sequential: median(levels.map((l) => l.length)),
    handlerMs: round(median(samples.flatMap((s) => s.handlerMs ?? []))),
    invocations: median(samples.map((s) => s.invocations)),
    stable: new Set(described).size === 1,
    callsByLevel: described[0] || '(no event)',
  };
}

/**
 * The calls' operations by level on the critical path: a call's level is 1 + the highest level of the calls that
 * ended before it started, so calls issued in parallel share one.
 */
function levelsOf(calls: readonly RequestRecord[]): string[][] {
  const sorted = [...calls].sort((a, b) => a.startedAt - b.startedAt);
  const levelOf: number[] = [];
  const levels: string[][] = [];
  sorted.forEach((call, i) => {
    let before = 0;
    for (let j = 0; j < i; j++) {
      if ((sorted[j].endedAt ?? sorted[j].startedAt) <= call.startedAt) before = Math.max(before, levelOf[j]);
    }
    levelOf.push(before + 1);
    (levels[before] ??= []).push(call.operation);
  });
  return levels.map((ops) => ops.sort());
}

/**
 * Lambda hops per event: the function the custom resource's ServiceToken names, plus each function it would invoke
 * in turn (as the Provider framework's onEvent function does, found by the other's logical id in its environment).
 */
function lambdaHops({ Resources: resources }: Template) {
  const [keyId, key] = Object.entries(resources).find(([, r]) => r.Type === RESOURCE_TYPE)!;
  const [functionId, attribute] =
    (key.Properties?.ServiceToken as { 'Fn::GetAtt'?: string[] } | undefined)?.['Fn::GetAtt'] ?? [];
  const target = resources[functionId];
  if (target?.Type !== 'AWS::Lambda::Function' || attribute !== 'Arn') throw new Error(`unexpected ServiceToken`);
  const functions = Object.keys(resources).filter((id) => resources[id].Type === 'AWS::Lambda::Function');
  const environment = JSON.stringify(target.Properties?.Environment ?? {});
  const chained = functions.filter((id) => id !== functionId && environment.includes(`"${id}"`));
  return {
    lambdaHops: 1 + chained.length,
    lambdaHopsEvidence:
      `ServiceToken of ${keyId} is Fn::GetAtt [${functionId}, Arn], an AWS::Lambda::Function that invokes ` +
      `${chained.length ? chained.join(', ') : 'no other function'}; the template has ${functions.length} function(s)`,
  };
}
