/**
 * The shape of bench/results.json, assembled from the sections' measurements. (Not named results.ts: an import of
 * `./results` would load results.json.)
 */
import * as os from 'node:os';
import type { ApiCallsResult, EventName, VariantMeasures } from './api-calls';
import type { ColdStartResult } from './cold-start';
import { IAM_MANAGED_POLICY_LIMIT, IAM_ROLE_INLINE_LIMIT } from './limits';
import type { SynthScaleResult } from './synth-scale';
import type { TargetResult } from './targets';
import { round } from './stats';
import type { ThrottledResult } from './throttled';

type PerEvent = Record<
  'create' | 'noopUpdate' | 'replace' | 'replaceUpdate' | 'replaceCleanupDelete' | 'delete' | 'unchangedDeploy',
  number
>;

export interface BenchResults {
  meta: {
    node: string;
    cpus: number;
    cpuModel: string;
    platform: string;
    date: string;
    totalSeconds: number;
    /** 1-minute load average at the start and the end: other work on the machine makes wall times noisy. */
    loadAverage: { start: number; end: number };
  };
  coldStart: ColdStartResult;
  /** Keys given by bucket name (the case with most calls); `apiCallsByVariant` has both. */
  apiCalls: PerEvent;
  apiCallsSequential: PerEvent;
  apiCallsByVariant: ApiCallsResult['byVariant'];
  lambdaHops: number;
  lambdaHopsEvidence: string;
  latency50: { createMs: number; noopUpdateMs: number; replaceMs: number; deleteMs: number; repetitions: number };
  synth: Pick<
    SynthScaleResult,
    | 'keys'
    | 'buckets'
    | 'ms'
    | 'nativeMs'
    | 'ratio'
    | 'cpuMs'
    | 'nativeCpuMs'
    | 'cpuRatio'
    | 'templateBytes'
    | 'nativeTemplateBytes'
    | 'resources'
    | 'nativeResources'
    | 'repetitions'
  >;
  template: {
    bytesPerKey: number;
    bytesPerBucket: number;
    fixedBytes: number;
    resourcesPerKey: number;
    fixedResources: number;
    fixedResourcesByCount: number[];
    maxKeysPerStack: number;
    maxKeysPerStackWithBuckets: number;
    /** Resolved inline policy characters of the handler role at the largest measured stack. */
    policyChars: number;
    policyLimit: number;
    /** Resolved characters of each managed policy aws-cdk-lib split off the role's policy, largest stack. */
    managedPolicyChars: number[];
    managedPolicyLimit: number;
    /** Keys on CfnBuckets (two per bucket) before the role's policies stop fitting IAM's quotas. */
    maxKeysByPolicy: number;
    policyLimitDetail: SynthScaleResult['policyLimit'];
    policiesByCount: SynthScaleResult['template']['policies'];
  };
  throttled: ThrottledResult;
  targets: TargetResult[];
  violations: string[];
}

export function assembleResults(
  parts: { coldStart: ColdStartResult; apiCalls: ApiCallsResult; synth: SynthScaleResult; throttled: ThrottledResult },
  run: { totalSeconds: number; loadAverageAtStart: number },
): Omit<BenchResults, 'targets'> {
  const { coldStart, apiCalls, synth, throttled } = parts;
  const byName = apiCalls.byVariant.bucketName;
  const largest = synth.template.policies[synth.template.policies.length - 1];
  return {
    meta: {
      node: process.version,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      platform: `${os.platform()} ${os.arch()}`,
      date: new Date().toISOString(),
      totalSeconds: run.totalSeconds,
      loadAverage: { start: round(run.loadAverageAtStart), end: round(os.loadavg()[0]) },
    },
    coldStart,
    apiCalls: perEvent(byName, 'calls'),
    apiCallsSequential: perEvent(byName, 'sequential'),
    apiCallsByVariant: apiCalls.byVariant,
    lambdaHops: apiCalls.lambdaHops,
    lambdaHopsEvidence: apiCalls.lambdaHopsEvidence,
    latency50: {
      createMs: byName.create.handlerMs,
      noopUpdateMs: byName.noopUpdate.handlerMs,
      replaceMs: byName.replaceUpdate.handlerMs + byName.replaceCleanupDelete.handlerMs,
      deleteMs: byName.delete.handlerMs,
      repetitions: apiCalls.repetitions,
    },
    synth: {
      keys: synth.keys,
      buckets: synth.buckets,
      ms: synth.ms,
      nativeMs: synth.nativeMs,
      ratio: synth.ratio,
      cpuMs: synth.cpuMs,
      nativeCpuMs: synth.nativeCpuMs,
      cpuRatio: synth.cpuRatio,
      templateBytes: synth.templateBytes,
      nativeTemplateBytes: synth.nativeTemplateBytes,
      resources: synth.resources,
      nativeResources: synth.nativeResources,
      repetitions: synth.repetitions,
    },
    template: {
      bytesPerKey: synth.template.bytesPerKey,
      bytesPerBucket: synth.template.bytesPerBucket,
      fixedBytes: synth.template.fixedBytes,
      resourcesPerKey: synth.template.resourcesPerKey,
      fixedResources: synth.template.fixedResources,
      fixedResourcesByCount: synth.template.fixedResourcesByCount,
      maxKeysPerStack: synth.template.maxKeysPerStack,
      maxKeysPerStackWithBuckets: synth.template.maxKeysPerStackWithBuckets,
      policyChars: largest.inlineChars,
      policyLimit: IAM_ROLE_INLINE_LIMIT,
      managedPolicyChars: largest.managedChars,
      managedPolicyLimit: IAM_MANAGED_POLICY_LIMIT,
      maxKeysByPolicy: synth.policyLimit.maxKeys,
      policyLimitDetail: synth.policyLimit,
      policiesByCount: synth.template.policies,
    },
    throttled,
    violations: [...apiCalls.violations, ...throttled.violations],
  };
}

function perEvent(measures: VariantMeasures, field: 'calls' | 'sequential'): PerEvent {
  const of = (event: EventName) => measures[event][field];
  return {
    create: of('create'),
    noopUpdate: of('noopUpdate'),
    // The cleanup Delete runs after the Update was answered and the rest of the stack updated: depths add up.
    replace: of('replaceUpdate') + of('replaceCleanupDelete'),
    replaceUpdate: of('replaceUpdate'),
    replaceCleanupDelete: of('replaceCleanupDelete'),
    delete: of('delete'),
    unchangedDeploy: of('unchangedDeploy'),
  };
}
