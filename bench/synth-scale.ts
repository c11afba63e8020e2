/**
 * Synth time and template size at 1, 10, 100 and 200 keys (two keys per CfnBucket) against the native pattern on
 * the same buckets: per key an iam.User, an iam.AccessKey and a secretsmanager.Secret holding its secret key.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lightsail from 'aws-cdk-lib/aws-lightsail';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { BucketAccessKey } from '../lib';
import type { Template } from '../test/lifecycle/template';
import { forceGc, median, pairedRatio, round, timed } from './stats';

export const KEY_COUNTS = [1, 10, 100, 200];
export const KEYS_PER_BUCKET = 2;
const REPETITIONS = 7;
export const STACK_NAME = 'BenchStack';
/** What a rotating key of the bench sets: a monthly rotation, with a grace period (and so the hourly rule). */
const ROTATION = { automaticallyAfter: Duration.days(30), gracePeriod: Duration.days(1) };

type Synthesis = ReturnType<typeof synthesizeOnce>;

export function measureSynthAtScale() {
  // The first synthesis in a process loads aws-cdk-lib's modules and starts its template validator.
  synthesizeOnce('ours', 10);
  synthesizeOnce('native', 10);
  const templates: Template[] = [];
  const byKeys = KEY_COUNTS.map((keys) => {
    const ours: Synthesis[] = [];
    const native: Synthesis[] = [];
    // aws-cdk-lib's built-in template validator reuses work from one synthesis for the next of the same resource
    // types, which `cdk synth` (one synthesis) never does: strictly alternating the two patterns (different
    // resource types) keeps either from profiting, and makes each ratio one of back-to-back pairs.
    for (let rep = 0; rep < REPETITIONS; rep++) {
      ours.push(synthesizeOnce('ours', keys));
      native.push(synthesizeOnce('native', keys));
    }
    templates.push(ours[0].template);
    const wall = (runs: Synthesis[]) => runs.map((r) => r.wallMs);
    const cpu = (runs: Synthesis[]) => runs.map((r) => r.cpuMs);
    return {
      keys,
      cfnBuckets: Math.ceil(keys / KEYS_PER_BUCKET),
      oursMs: round(median(wall(ours))),
      nativeMs: round(median(wall(native))),
      ratio: pairedRatio(wall(ours), wall(native)),
      oursCpuMs: round(median(cpu(ours))),
      nativeCpuMs: round(median(cpu(native))),
      cpuRatio: pairedRatio(cpu(ours), cpu(native)),
      oursBytes: templateBytes(ours[0].template),
      nativeBytes: templateBytes(native[0].template),
      oursResources: Object.keys(ours[0].template.Resources).length,
      nativeResources: Object.keys(native[0].template.Resources).length,
    };
  });
  const synthAtScale = {
    method:
      `A fresh App per synthesis, from \`new App()\` to \`app.synth()\` done, after a forced GC; ${REPETITIONS} ` +
      'strictly alternating pairs per count: medians, and the median of pair ratios.',
    repetitions: REPETITIONS,
    byKeys,
  };
  return { synthAtScale, templates };
}

/** aws-cdk-lib writes templates as JSON.stringify(template, undefined, 1); this is that file's size. */
export function templateBytes(template: Template): number {
  return Buffer.byteLength(JSON.stringify(template, undefined, 1));
}

/**
 * One fresh App with one stack of `keys` keys (or the native pattern) on CfnBuckets, or of `rotating` keys, each
 * with a grace period and on a bucket of its own given by name (a rotating key takes both of its bucket's slots).
 * aws-cdk-lib's 500-resource error is off unless `resourceLimit`.
 */
export function synthesizeOnce(
  pattern: 'ours' | 'native' | 'rotating',
  keys: number,
  keysPerBucket = KEYS_PER_BUCKET,
  resourceLimit = false,
) {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-synth-'));
  try {
    forceGc();
    const { wallMs, cpuMs } = timed(() => {
      // Stacks over CloudFormation's quotas are measured too (200 keys with their buckets are over 500 resources):
      // aws-cdk-lib's resource-count error is off and its template warning acknowledged.
      const context = resourceLimit ? {} : { '@aws-cdk/core:stackResourceLimit': 0 };
      const app = new App({ outdir, context });
      const stack = new Stack(app, STACK_NAME, { env: { account: '123456789012', region: 'us-east-1' } });
      Validations.of(stack).acknowledge({ id: 'CloudFormation-Validate::F0007', reason: 'measured on purpose' });
      const buckets = Array.from(
        { length: pattern === 'rotating' ? 0 : Math.ceil(keys / keysPerBucket) },
        (_, i) =>
          new lightsail.CfnBucket(stack, `Bucket${i}`, { bucketName: `bench-bucket-${i}`, bundleId: 'small_1_0' }),
      );
      for (let i = 0; i < keys; i++) {
        if (pattern === 'rotating')
          new BucketAccessKey(stack, `Key${i}`, { bucketName: `bench-bucket-${i}`, rotation: ROTATION });
        else if (pattern === 'ours')
          new BucketAccessKey(stack, `Key${i}`, { bucket: buckets[Math.floor(i / keysPerBucket)] });
        else {
          const accessKey = new iam.AccessKey(stack, `AccessKey${i}`, { user: new iam.User(stack, `User${i}`) });
          new secretsmanager.Secret(stack, `Secret${i}`, { secretStringValue: accessKey.secretAccessKey });
        }
      }
      app.synth();
    });
    const template = JSON.parse(fs.readFileSync(path.join(outdir, `${STACK_NAME}.template.json`), 'utf8')) as Template;
    return { wallMs, cpuMs, template };
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}
