/**
 * Test apps, synthesized for real with aws-cdk-lib into a cloud assembly on disk: the simulator deploys that
 * output, and runs the handler asset it contains. Synthesis is memoized per app shape.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, CfnResource, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as lightsail from 'aws-cdk-lib/aws-lightsail';
import { BucketAccessKey } from '../../lib';
import { TRIPWIRE_TYPE } from './cloudformation';
import type { Template } from './template';

export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';
export const STACK_NAME = 'SimStack';

export interface KeySpec {
  /** Construct id. */
  readonly id: string;
  /** A bucket of the stack (`AppSpec.buckets`) or an existing one, given by name. */
  readonly bucket: string;
  readonly serial?: number;
  readonly retain?: boolean;
  /** Scheduled rotation (the key must be alone on its bucket). */
  readonly rotation?: { readonly days: number; readonly graceHours?: number };
}

export interface AppSpec {
  /** Buckets defined in the stack, as CfnBuckets; keys on other bucket names use `bucketName`. */
  readonly buckets: readonly string[];
  readonly keys: readonly KeySpec[];
  /** A resource deployed after every key that fails: the deploy rolls back. */
  readonly failAfterKeys?: boolean;
  /**
   * A resource deployed beside the keys that fails as soon as a key handler's call of this AWS operation took effect
   * (or once nothing else runs): CloudFormation cancels the keys still being created or updated, and rolls back.
   */
  readonly failDuringKeys?: string;
}

export interface SynthesizedApp {
  readonly template: Template;
  readonly assemblyDir: string;
  readonly synthMs: number;
}

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'lifecycle-cdk-out-'));
const cache = new Map<string, SynthesizedApp>();

export function synthesize(spec: AppSpec): SynthesizedApp {
  const key = JSON.stringify(spec);
  const cached = cache.get(key);
  if (cached) return cached;

  const started = Date.now();
  const assemblyDir = path.join(root, `app-${cache.size}`);
  const app = new App({ outdir: assemblyDir });
  const stack = new Stack(app, STACK_NAME, { env: { account: ACCOUNT, region: REGION } });
  const buckets = new Map(
    spec.buckets.map((name) => [
      name,
      new lightsail.CfnBucket(stack, `Bucket-${name}`, { bucketName: name, bundleId: 'small_1_0' }),
    ]),
  );
  const keys = spec.keys.map((k) => {
    const bucket = buckets.get(k.bucket);
    return new BucketAccessKey(stack, k.id, {
      ...(bucket ? { bucket } : { bucketName: k.bucket }),
      serial: k.serial,
      removalPolicy: k.retain ? RemovalPolicy.RETAIN : undefined,
      rotation: k.rotation && {
        automaticallyAfter: Duration.days(k.rotation.days),
        gracePeriod: k.rotation.graceHours ? Duration.hours(k.rotation.graceHours) : undefined,
      },
    });
  });
  const tripwire = new CfnResource(stack, 'Tripwire', {
    type: TRIPWIRE_TYPE,
    properties: { Fail: spec.failAfterKeys ? 'true' : 'false' },
  });
  keys.forEach((k) => tripwire.node.addDependency(k));
  if (spec.failDuringKeys) {
    new CfnResource(stack, 'ParallelTripwire', {
      type: TRIPWIRE_TYPE,
      properties: { FailAfterOperation: spec.failDuringKeys },
    });
  }

  app.synth();
  const template = JSON.parse(fs.readFileSync(path.join(assemblyDir, `${STACK_NAME}.template.json`), 'utf8'));
  const result = { template, assemblyDir, synthMs: Date.now() - started };
  cache.set(key, result);
  return result;
}

/** Every directory of synthesized output, for the leak search. */
export function assemblyRoot(): string {
  return root;
}
