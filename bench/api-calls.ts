/**
 * AWS calls per lifecycle event, and the handler's wall time per event, measured with the CloudFormation lifecycle
 * simulator (the real synthesized template, the real bundled handler in child processes, the wire-level fakes).
 *
 * One key on one bucket, through: Create, a no-op Update (only the removal policy changes, which does not replace
 * the key), a deploy that changes nothing, a replacement (serial bump: an Update to the new lineage, then the old
 * lineage's Delete at cleanup) and Delete (stack teardown). Every AWS call gets 50 ms of added latency, so calls
 * issued in parallel overlap clearly in the fake's request log and the sequential depth is unambiguous.
 */
import type { RequestRecord } from '../test/fakes/aws-fake';
import { type AppSpec, type KeySpec, synthesize } from '../test/lifecycle/apps';
import type { Template } from '../test/lifecycle/template';
import { LifecycleWorld, type StepReport } from '../test/lifecycle/world';
import { type Invocation, recordInvocations } from './invocations';
import { callLevels, median, round, sequentialDepth } from './stats';

const LATENCY_MS = 50;
const REPETITIONS = 5;
const STACK_BUCKET = 'media';
const EXTERNAL_BUCKET = 'existing';

export const EVENTS = [
  'create',
  'noopUpdate',
  'unchangedDeploy',
  'replaceUpdate',
  'replaceCleanupDelete',
  'delete',
] as const;
export type EventName = (typeof EVENTS)[number];

/** How the key names its bucket: `bucket` (a CfnBucket of the stack) or `bucketName` (an existing bucket). */
export type BucketVariant = 'cfnBucket' | 'bucketName';

export interface EventMeasure {
  /** AWS calls (medians over the repetitions; they do not vary unless something is wrong). */
  calls: number;
  /** Length of the critical path of calls (see stats.sequentialDepth). */
  sequential: number;
  /** The handler's own durationMs (its log line), with 50 ms added to every AWS call; 0 when it was not invoked. */
  handlerMs: number;
  /** The calls of the first repetition by level: parallel calls joined by ' + ', levels by ' → '. */
  operations: string;
  /** Handler invocations (CloudFormation events) per repetition. */
  invocations: number;
  /** Whether every repetition made the same calls at the same depth. */
  stable: boolean;
}

export type VariantMeasures = Record<EventName, EventMeasure>;

export interface ApiCallsResult {
  byVariant: Record<BucketVariant, VariantMeasures>;
  lambdaHops: number;
  lambdaHopsEvidence: string;
  latencyMsPerCall: number;
  repetitions: number;
  /** Invariant violations the simulator reported (must be empty, or the numbers mean little). */
  violations: string[];
}

interface Sample {
  calls: RequestRecord[];
  handlerMs: number[];
  invocations: number;
}

export async function measureApiCalls(): Promise<ApiCallsResult> {
  const world = await LifecycleWorld.start();
  const invocations = recordInvocations(world);
  const violations: string[] = [];
  try {
    const byVariant = {} as Record<BucketVariant, VariantMeasures>;
    for (const variant of ['bucketName', 'cfnBucket'] as const) {
      const samples = new Map<EventName, Sample[]>(EVENTS.map((e) => [e, []]));
      for (let rep = 0; rep < REPETITIONS; rep++) {
        const measured = await runLifecycle(world, invocations, variant, violations);
        for (const [event, sample] of measured) samples.get(event)!.push(sample);
      }
      byVariant[variant] = summarize(samples);
    }
    const hops = lambdaHops(synthesize(app('cfnBucket', {})).template);
    return {
      byVariant,
      lambdaHops: hops.hops,
      lambdaHopsEvidence: hops.evidence,
      latencyMsPerCall: LATENCY_MS,
      repetitions: REPETITIONS,
      violations,
    };
  } finally {
    await world.close();
  }
}

function app(variant: BucketVariant, key: Partial<KeySpec>): AppSpec {
  const bucket = variant === 'cfnBucket' ? STACK_BUCKET : EXTERNAL_BUCKET;
  return { buckets: [STACK_BUCKET], keys: [{ id: 'Key', bucket, ...key }] };
}

/** One repetition: a fresh account, then every event once. */
async function runLifecycle(
  world: LifecycleWorld,
  invocations: Invocation[],
  variant: BucketVariant,
  violations: string[],
): Promise<Map<EventName, Sample>> {
  world.beginSequence({ externalBuckets: [EXTERNAL_BUCKET] });
  world.fake.faults.latency('lightsail', LATENCY_MS);
  world.fake.faults.latency('secretsmanager', LATENCY_MS);
  const samples = new Map<EventName, Sample>();

  /** Runs one deploy or teardown; returns one sample per event the handler received, which must be `expected`. */
  const step = async (expected: string[], run: () => Promise<StepReport>): Promise<Sample[]> => {
    const marks = {
      requests: world.fake.requests.length,
      output: world.lambda.output.length,
      invocations: invocations.length,
    };
    const report = await run();
    const delivered = invocations.slice(marks.invocations);
    const problems = [...report.violations];
    if (delivered.map((i) => i.requestType).join() !== expected.join()) {
      problems.push(`expected events [${expected}], the handler got [${delivered.map((i) => i.requestType)}]`);
    }
    violations.push(...problems.map((v) => `${variant}: ${report.step}: ${v}`));
    return splitByInvocation(
      world.fake.requests.slice(marks.requests),
      delivered,
      world.lambda.output.slice(marks.output),
    );
  };

  samples.set('create', (await step(['Create'], () => world.deploy(app(variant, {}))))[0]);
  // Only the removal policy changes: CloudFormation sends an Update that keeps the key (and its physical id).
  samples.set('noopUpdate', (await step(['Update'], () => world.deploy(app(variant, { retain: true }))))[0]);
  await step(['Update'], () => world.deploy(app(variant, {})));
  // The same template again: CloudFormation sends the handler nothing.
  const unchanged = await step([], () => world.deploy(app(variant, {})));
  samples.set('unchangedDeploy', unchanged[0] ?? emptySample());
  const [replaceUpdate, cleanupDelete] = await step(['Update', 'Delete'], () =>
    world.deploy(app(variant, { serial: 1 })),
  );
  samples.set('replaceUpdate', replaceUpdate);
  samples.set('replaceCleanupDelete', cleanupDelete);
  samples.set('delete', (await step(['Delete'], () => world.teardown()))[0]);
  return samples;
}

/**
 * Within one step of one key the events are strictly sequential (CloudFormation waits for each answer), so each AWS
 * call belongs to the last event delivered before it started.
 */
function splitByInvocation(calls: RequestRecord[], invocations: Invocation[], output: string[]): Sample[] {
  const logLines = output.flatMap(parseLogLine);
  return invocations.map((invocation, i) => {
    const next = invocations[i + 1]?.startedAt ?? Infinity;
    return {
      calls: calls.filter((c) => c.startedAt >= invocation.startedAt && c.startedAt < next),
      handlerMs: logLines
        .filter((l) => l.requestType === invocation.requestType)
        .slice(0, 1)
        .map((l) => l.durationMs),
      invocations: 1,
    };
  });
}

function parseLogLine(line: string): Array<{ requestType: string; durationMs: number }> {
  if (!line.startsWith('{')) return [];
  try {
    const parsed = JSON.parse(line) as { requestType?: string; durationMs?: number };
    return parsed.requestType && typeof parsed.durationMs === 'number'
      ? [{ requestType: parsed.requestType, durationMs: parsed.durationMs }]
      : [];
  } catch {
    return [];
  }
}

function emptySample(): Sample {
  return { calls: [], handlerMs: [0], invocations: 0 };
}

function summarize(samples: Map<EventName, Sample[]>): VariantMeasures {
  const result = {} as VariantMeasures;
  for (const [event, list] of samples) {
    result[event] = {
      calls: median(list.map((s) => s.calls.length)),
      sequential: median(list.map((s) => sequentialDepth(s.calls))),
      handlerMs: round(median(list.flatMap((s) => s.handlerMs))),
      operations: describeLevels(list[0].calls),
      invocations: median(list.map((s) => s.invocations)),
      stable: new Set(list.map((s) => describeLevels(s.calls))).size === 1,
    };
  }
  return result;
}

function describeLevels(calls: RequestRecord[]): string {
  const levels: string[][] = [];
  for (const { call, level } of callLevels(calls)) (levels[level - 1] ??= []).push(call.operation);
  return levels.map((ops) => ops.sort().join(' + ')).join(' → ');
}

/**
 * Lambda functions between CloudFormation and the handler's work: CloudFormation invokes the function named by the
 * custom resource's ServiceToken; each further function it invokes (as the Provider framework's onEvent function
 * does, found through an environment variable holding the other function's ARN) is one more hop.
 */
export function lambdaHops(template: Template): { hops: number; evidence: string } {
  const resources = template.Resources;
  const custom = Object.entries(resources).find(([, r]) => r.Type === 'Custom::LightsailBucketAccessKey');
  if (!custom) throw new Error('the template has no Custom::LightsailBucketAccessKey');
  const token = custom[1].Properties?.ServiceToken as { 'Fn::GetAtt'?: [string, string] } | undefined;
  const [functionId, attribute] = token?.['Fn::GetAtt'] ?? [];
  const target = functionId ? resources[functionId] : undefined;
  if (!target || target.Type !== 'AWS::Lambda::Function' || attribute !== 'Arn') {
    throw new Error(`unexpected ServiceToken ${JSON.stringify(token)}`);
  }
  const functions = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function');
  const environment = JSON.stringify((target.Properties?.Environment as unknown) ?? {});
  const chained = functions.filter(([id]) => id !== functionId && environment.includes(`"${id}"`));
  return {
    hops: 1 + chained.length,
    evidence:
      `ServiceToken of ${custom[0]} is Fn::GetAtt [${functionId}, Arn], an AWS::Lambda::Function with Handler ` +
      `${String(target.Properties?.Handler)} that invokes no other function; the template has ${functions.length} ` +
      `Lambda function(s)`,
  };
}
