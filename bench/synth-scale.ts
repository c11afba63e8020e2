/**
 * Synth time and template size at scale: stacks of 1, 10, 100 and 200 keys (two keys per CfnBucket, so 1, 5, 50
 * and 100 buckets), against the native IAM pattern with the same counts and the same buckets: per key an iam.User,
 * an iam.AccessKey and a secretsmanager.Secret holding the access key's secret. Each synthesis is a fresh App in
 * this process, timed from `new App()` to `app.synth()` done (construct tree, validation, asset staging, template
 * writing).
 *
 * aws-cdk-lib validates every synthesized template with a built-in WebAssembly engine, which takes much of the
 * time, and it keeps work from one synthesis for the next one of the same resource types: synthesizing one stack
 * again and again in a process is several times faster than a `cdk synth`, which validates once, cold. So the two
 * patterns strictly alternate (they use different resource types).
 *
 * From the templates of our stacks: bytes and CloudFormation resources per key, the fixed resources of a stack,
 * the largest stack CloudFormation accepts, and the resolved size of the handler role's policies, which grow by
 * one bucket ARN per CfnBucket.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lightsail from 'aws-cdk-lib/aws-lightsail';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { BucketAccessKey } from '../lib';
import type { Template } from '../test/lifecycle/template';
import { CFN_MAX_RESOURCES, CFN_MAX_TEMPLATE_BYTES, type RolePolicySizes, rolePolicySizes } from './limits';
import { elapsedMs, forceGc, largestFitting, median, pairedRatio, round } from './stats';

export const KEY_COUNTS = [1, 10, 100, 200];
const KEYS_PER_BUCKET = 2;
const REPETITIONS = 7;

const STACK_NAME = 'BenchStack';
export const STACK_ENV = { account: '123456789012', region: 'us-east-1' };

/** Keys as BucketAccessKeys, keys the native IAM way, or the buckets alone (a warm-up that has no keys). */
export type Pattern = 'ours' | 'native' | 'bucketsOnly';

export interface SynthScaleResult {
  keys: number[];
  buckets: number[];
  ms: number[];
  nativeMs: number[];
  /** Median of the per-pair ratios ours/native (wall clock). */
  ratio: number[];
  /** The same from the process's CPU time: less sensitive to other work on the machine. */
  cpuMs: number[];
  nativeCpuMs: number[];
  cpuRatio: number[];
  templateBytes: number[];
  nativeTemplateBytes: number[];
  resources: number[];
  nativeResources: number[];
  repetitions: number;
  template: TemplateLimits;
  policyLimit: PolicyLimit;
}

/** Where the handler role's policies stop fitting IAM's quotas, as CfnBuckets grow. */
export interface PolicyLimit {
  /** The most CfnBuckets whose keys one handler role can serve. */
  maxBuckets: number;
  /** Keys at two per bucket. */
  maxKeys: number;
  lastFitting: RolePolicySizes;
  firstFailing?: RolePolicySizes;
}

export interface TemplateLimits {
  /** Template bytes per key without the buckets' own resources (two keys per bucket: half a policy ARN each). */
  bytesPerKey: number;
  /** Template bytes of one CfnBucket. */
  bytesPerBucket: number;
  fixedBytes: number;
  resourcesPerKey: number;
  /** Resources of a stack with keys, besides the keys and buckets (the shared handler's), at each count. */
  fixedResourcesByCount: number[];
  fixedResources: number;
  /** Keys in one stack whose buckets live elsewhere (another stack, or given by name). */
  maxKeysPerStack: number;
  /** Keys in one stack that also holds their buckets, two keys per bucket. */
  maxKeysPerStackWithBuckets: number;
  /** The handler role's policies, resolved, at each count. */
  policies: RolePolicySizes[];
}

export function measureSynthScale(): SynthScaleResult {
  // Warm-up: the first synthesis in a process loads aws-cdk-lib's modules and starts its template validator.
  synthesizeOnce('ours', 10);
  synthesizeOnce('native', 10);

  const validated = { ours: [] as Synthesis[][], native: [] as Synthesis[][] };
  for (const keys of KEY_COUNTS) {
    const runs = { ours: [] as Synthesis[], native: [] as Synthesis[] };
    // Strictly alternating: each synthesis follows one of the other pattern, so none reuses the validator's work
    // on the same resource types (see the file comment), and drift in machine load hits both alike.
    for (let rep = 0; rep < REPETITIONS; rep++) {
      runs.ours.push(synthesizeOnce('ours', keys));
      runs.native.push(synthesizeOnce('native', keys));
    }
    validated.ours.push(runs.ours);
    validated.native.push(runs.native);
  }
  const wall = (runs: Synthesis[]) => runs.map((r) => r.ms);
  const cpu = (runs: Synthesis[]) => runs.map((r) => r.cpuMs);
  const medians = (series: Synthesis[][], pick: (runs: Synthesis[]) => number[]) =>
    series.map((runs) => round(median(pick(runs))));
  const ratios = (series: { ours: Synthesis[][]; native: Synthesis[][] }, pick: (runs: Synthesis[]) => number[]) =>
    series.ours.map((runs, i) => pairedRatio(pick(runs), pick(series.native[i])));
  const ours = validated.ours.map((runs) => runs[0].template);
  const native = validated.native.map((runs) => runs[0].template);
  return {
    keys: KEY_COUNTS,
    buckets: KEY_COUNTS.map((k) => bucketCount(k)),
    ms: medians(validated.ours, wall),
    nativeMs: medians(validated.native, wall),
    ratio: ratios(validated, wall),
    cpuMs: medians(validated.ours, cpu),
    nativeCpuMs: medians(validated.native, cpu),
    cpuRatio: ratios(validated, cpu),
    templateBytes: ours.map(templateBytes),
    nativeTemplateBytes: native.map(templateBytes),
    resources: ours.map((t) => Object.keys(t.Resources).length),
    nativeResources: native.map((t) => Object.keys(t.Resources).length),
    repetitions: REPETITIONS,
    template: templateLimits(ours),
    policyLimit: policyLimit(),
  };
}

/** Beyond this many CfnBuckets a stack is over 500 resources anyway. */
const POLICY_SEARCH_MAX_BUCKETS = 250;

/**
 * Binary search for the most CfnBuckets whose role policies fit. The policy grows per bucket, not per key, so each
 * probe synthesizes one key per bucket; once the bucket statement is too large it stays too large.
 */
function policyLimit(): PolicyLimit {
  const probe = (buckets: number) => rolePolicySizes(synthesizeOnce('ours', buckets, 1).template);
  let fitting = { buckets: 1, sizes: probe(1) };
  if (!fitting.sizes.fits) throw new Error('the role policies of a one-bucket stack do not fit IAM quotas');
  let failing = { buckets: POLICY_SEARCH_MAX_BUCKETS, sizes: probe(POLICY_SEARCH_MAX_BUCKETS) };
  if (failing.sizes.fits)
    return { maxBuckets: failing.buckets, maxKeys: KEYS_PER_BUCKET * failing.buckets, lastFitting: failing.sizes };
  while (failing.buckets - fitting.buckets > 1) {
    const middle = Math.floor((fitting.buckets + failing.buckets) / 2);
    const sizes = probe(middle);
    if (sizes.fits) fitting = { buckets: middle, sizes };
    else failing = { buckets: middle, sizes };
  }
  return {
    maxBuckets: fitting.buckets,
    maxKeys: KEYS_PER_BUCKET * fitting.buckets,
    lastFitting: fitting.sizes,
    firstFailing: failing.sizes,
  };
}

function bucketCount(keys: number, keysPerBucket = KEYS_PER_BUCKET): number {
  return Math.ceil(keys / keysPerBucket);
}

interface Synthesis {
  /** Wall clock. */
  ms: number;
  /** CPU time of this process (user and system). */
  cpuMs: number;
  template: Template;
}

/** One fresh App with one stack of `keys` keys on CfnBuckets, synthesized into a temporary directory. */
export function synthesizeOnce(pattern: Pattern, keys: number, keysPerBucket = KEYS_PER_BUCKET): Synthesis {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-synth-'));
  try {
    forceGc();
    const cpuBefore = process.cpuUsage();
    const started = process.hrtime.bigint();
    // Stacks larger than CloudFormation accepts are measured too (200 keys with their buckets are over 500
    // resources): aws-cdk-lib's resource-count error is off, and its warning acknowledged. The limits are computed
    // from the measurements instead.
    const app = new App({ outdir, context: { '@aws-cdk/core:stackResourceLimit': 0 } });
    const stack = new Stack(app, STACK_NAME, { env: STACK_ENV });
    Validations.of(stack).acknowledge({
      id: 'CloudFormation-Validate::F0007',
      reason: 'sizes beyond the quota are measured on purpose',
    });
    const buckets = Array.from(
      { length: bucketCount(keys, keysPerBucket) },
      (_, i) =>
        new lightsail.CfnBucket(stack, `Bucket${i}`, { bucketName: `bench-bucket-${i}`, bundleId: 'small_1_0' }),
    );
    for (let i = 0; i < keys; i++) {
      const bucket = buckets[Math.floor(i / keysPerBucket)];
      if (pattern === 'ours') new BucketAccessKey(stack, `Key${i}`, { bucket });
      else if (pattern === 'native') addNativeKey(stack, i);
    }
    app.synth();
    const ms = elapsedMs(started);
    const cpuUsed = process.cpuUsage(cpuBefore);
    const cpuMs = (cpuUsed.user + cpuUsed.system) / 1000;
    const template = JSON.parse(fs.readFileSync(path.join(outdir, `${STACK_NAME}.template.json`), 'utf8')) as Template;
    return { ms, cpuMs, template };
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/** The usual way to a stored access key: an IAM user, its access key, and a secret holding the secret key. */
function addNativeKey(stack: Stack, i: number): void {
  const user = new iam.User(stack, `User${i}`);
  const accessKey = new iam.AccessKey(stack, `AccessKey${i}`, { user });
  new secretsmanager.Secret(stack, `Secret${i}`, { secretStringValue: accessKey.secretAccessKey });
}

// ---- template arithmetic -------------------------------------------------------------------------------------

const isBucket = (type: string) => type === 'AWS::Lightsail::Bucket';
const isKeyPart = (type: string) =>
  type === 'AWS::SecretsManager::Secret' || type === 'Custom::LightsailBucketAccessKey';

/** aws-cdk-lib writes templates as JSON.stringify(template, undefined, 1); this is that file's size. */
function templateBytes(template: Template): number {
  return Buffer.byteLength(JSON.stringify(template, undefined, 1));
}

function withoutBuckets(template: Template): Template {
  return {
    ...template,
    Resources: Object.fromEntries(Object.entries(template.Resources).filter(([, r]) => !isBucket(r.Type))),
  };
}

function count(template: Template, predicate: (type: string) => boolean): number {
  return Object.values(template.Resources).filter((r) => predicate(r.Type)).length;
}

/**
 * Per-key numbers are slopes between 10 and 100 keys: at 200 keys aws-cdk-lib moves the bucket statement of the
 * role's policy into an extra managed policy (see limits.ts), a step that is not per key. Fixed bytes come from the
 * largest stack, the conservative side.
 */
function templateLimits(templates: Template[]): TemplateLimits {
  const at = (keys: number) => templates[KEY_COUNTS.indexOf(keys)];
  const [small, large, largest] = [at(10), at(100), at(KEY_COUNTS[KEY_COUNTS.length - 1])];
  const largestKeys = KEY_COUNTS[KEY_COUNTS.length - 1];

  const bytesPerKey = (templateBytes(withoutBuckets(large)) - templateBytes(withoutBuckets(small))) / (100 - 10);
  const bucketsOf = (t: Template) => count(t, isBucket);
  const bytesPerBucket = (templateBytes(largest) - templateBytes(withoutBuckets(largest))) / bucketsOf(largest);
  const fixedBytes = templateBytes(withoutBuckets(largest)) - bytesPerKey * largestKeys;
  const nonBucket = (t: Template) => Object.keys(t.Resources).length - bucketsOf(t);
  const resourcesPerKey = (nonBucket(large) - nonBucket(small)) / (100 - 10);
  const fixedResourcesByCount = templates.map((t) => count(t, (type) => !isBucket(type) && !isKeyPart(type)));
  // The handler's four; a role policy too large to stay inline would add a managed policy (fixedResourcesByCount
  // shows whether it did at any count).
  const fixedResources = Math.min(...fixedResourcesByCount);

  // With the buckets in the stack, each key also brings half a bucket (resource and bytes).
  const perKeyWithBuckets = {
    resources: resourcesPerKey + 1 / KEYS_PER_BUCKET,
    bytes: bytesPerKey + bytesPerBucket / KEYS_PER_BUCKET,
  };
  const evenKeys = (n: number) => n - (n % KEYS_PER_BUCKET);
  return {
    bytesPerKey: round(bytesPerKey, 1),
    bytesPerBucket: round(bytesPerBucket, 1),
    fixedBytes: Math.round(fixedBytes),
    resourcesPerKey: round(resourcesPerKey, 2),
    fixedResourcesByCount,
    fixedResources,
    maxKeysPerStack: Math.min(
      largestFitting(CFN_MAX_RESOURCES, fixedResources, resourcesPerKey),
      largestFitting(CFN_MAX_TEMPLATE_BYTES, fixedBytes, bytesPerKey),
    ),
    maxKeysPerStackWithBuckets: evenKeys(
      Math.min(
        largestFitting(CFN_MAX_RESOURCES, fixedResources, perKeyWithBuckets.resources),
        largestFitting(CFN_MAX_TEMPLATE_BYTES, fixedBytes, perKeyWithBuckets.bytes),
      ),
    ),
    policies: templates.map(rolePolicySizes),
  };
}
