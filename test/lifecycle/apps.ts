/**
 * Test apps, synthesized for real with aws-cdk-lib into a cloud assembly on disk: the simulator deploys that
 * output, and runs the handler asset it contains. Synthesis is memoized per app shape.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, CfnResource, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
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
  /** Scheduled rotation (the key must be alone on its bucket); `immediately`: rotate when turned on or changed. */
  readonly rotation?: { readonly days: number; readonly graceHours?: number; readonly immediately?: boolean };
  /**
   * A customer-managed KMS key of the stack for the key's secret. The stack defines the KMS keys its key secrets use,
   * deleted with it (RemovalPolicy.DESTROY): a KMS key no secret uses any more leaves the app, and is scheduled for
   * deletion.
   */
  readonly encryptionKey?: 'A' | 'B';
  /** A logical id for the key's custom resource other than the one aws-cdk-lib gives it (an escape hatch). */
  readonly resourceLogicalId?: string;
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
  /** Synthesized as the release before this one wrote it (see asPreviousRelease). */
  readonly previousRelease?: boolean;
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
  const encryptionKeys = new Map(
    [...new Set(spec.keys.flatMap((k) => (k.encryptionKey ? [k.encryptionKey] : [])))].map((name) => [
      name,
      new kms.Key(stack, `EncryptionKey${name}`, { removalPolicy: RemovalPolicy.DESTROY }),
    ]),
  );
  const keys = spec.keys.map((k) => {
    const bucket = buckets.get(k.bucket);
    return new BucketAccessKey(stack, k.id, {
      ...(bucket ? { bucket } : { bucketName: k.bucket }),
      serial: k.serial,
      removalPolicy: k.retain ? RemovalPolicy.RETAIN : undefined,
      encryptionKey: k.encryptionKey && encryptionKeys.get(k.encryptionKey),
      rotation: k.rotation && {
        automaticallyAfter: Duration.days(k.rotation.days),
        gracePeriod: k.rotation.graceHours ? Duration.hours(k.rotation.graceHours) : undefined,
        rotateImmediatelyOnUpdate: k.rotation.immediately,
      },
    });
  });
  spec.keys.forEach((k, i) => {
    if (k.resourceLogicalId) {
      (keys[i].node.findChild('Resource').node.defaultChild as CfnResource).overrideLogicalId(k.resourceLogicalId);
    }
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
  const synthesized = JSON.parse(fs.readFileSync(path.join(assemblyDir, `${STACK_NAME}.template.json`), 'utf8'));
  const template = spec.previousRelease ? asPreviousRelease(synthesized) : synthesized;
  const result = { template, assemblyDir, synthMs: Date.now() - started };
  cache.set(key, result);
  return result;
}

/**
 * The template as the release before this one wrote it, as far as the key's custom resource sees a difference: no
 * `RotationSchedule` or `ServiceTimeout` property. (The simulator runs this release's handlers, which need the secret's
 * rotation tags, so those stay. The previous release's handlers recorded no owner on a lineage: a scenario takes
 * those labels off the fake's secrets to match.)
 */
function asPreviousRelease(template: Template): Template {
  const resources = Object.entries(template.Resources).map(([id, resource]) => {
    const properties = { ...resource.Properties };
    if (resource.Type.startsWith('Custom::')) {
      delete properties.RotationSchedule;
      delete properties.ServiceTimeout;
    }
    return [id, { ...resource, Properties: properties }];
  });
  return { ...template, Resources: Object.fromEntries(resources) };
}

/** Every directory of synthesized output, for the leak search. */
export function assemblyRoot(): string {
  return root;
}
