/**
 * What the scenario files share: the apps they deploy, the check of a step, and reads of the world's keys.
 */
import type { AppSpec, KeySpec } from './apps';
import { currentKey, keyResources } from './invariants';
import type { LifecycleWorld, StepReport } from './world';

export const key = (id: string, bucket: string, more: Partial<KeySpec> = {}): KeySpec => ({ id, bucket, ...more });

/** An app with the stack bucket `media` and the given keys. */
export const app = (keys: KeySpec[], more: Partial<AppSpec> = {}): AppSpec => ({ buckets: ['media'], keys, ...more });

/** A step that breaks no invariant, and ends in `status` if given. */
export function clean(report: StepReport, status?: string): StepReport {
  expect(report.violations).toEqual([]);
  if (status) expect(report.status).toBe(status);
  return report;
}

/** Reads of the keys of the world `current()` returns (set up in a file's beforeAll). */
export function keyReads(current: () => LifecycleWorld) {
  const resource = (logicalIdPrefix: string) =>
    keyResources(current().cfn).find((r) => r.logicalId.startsWith(logicalIdPrefix))!;
  return {
    /** The ids of the access keys on a bucket. */
    keysOn: (bucket: string) =>
      current()
        .fake.lightsail.keysOf(bucket)
        .map((k) => k.accessKeyId),
    resource,
    /** The key a resource's secret holds as current. */
    secretKeyOf: (logicalIdPrefix: string) => currentKey(current().fake, resource(logicalIdPrefix))?.accessKeyId,
  };
}
