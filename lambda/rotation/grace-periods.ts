/**
 * The end of the grace period of rotated-out keys: for each of the stack's key secrets with a grace period (its tag,
 * found by ListSecrets with the stack's name prefix), once the current version is older than the grace period, every
 * key of the secret but the current one and a pending one is deleted. Each secret on its own: one failing does not
 * keep the others' grace periods from ending.
 */
import { AWSCURRENT, AWSPENDING, GRACE_PERIOD_TAG } from '../../lib/contract';
import * as aws from '../shared/aws';
import type { KeyCreationContext } from '../shared/key-creation';
import { deleteKeys, keysIn, readVersions } from '../shared/lineage';
import type { StepResult } from './steps';

/** Returns how many secrets could not be checked; `forEach` runs (and logs) the work of one secret. */
export async function expireGracePeriods(
  secretNamePrefix: string,
  invocation: KeyCreationContext,
  forEach: (secretArn: string, work: () => Promise<StepResult>) => Promise<StepResult>,
): Promise<number> {
  const secrets = await aws.listSecrets(secretNamePrefix, GRACE_PERIOD_TAG);
  const results = await Promise.allSettled(
    secrets.map(({ arn, tags }) =>
      forEach(arn, () => expireGracePeriod(arn, Number(tags[GRACE_PERIOD_TAG]), invocation.deadline)),
    ),
  );
  return results.filter((r) => r.status === 'rejected').length;
}

export async function expireGracePeriod(
  secretArn: string,
  gracePeriodSeconds: number,
  until: number,
  now = Date.now(),
): Promise<StepResult> {
  const { versions, current, currentVersion } = await readVersions(secretArn);
  if (!current) return { outcome: 'no-current-key' };
  const since =
    (currentVersion?.createdAt ?? versions.find((v) => v.stages.includes(AWSCURRENT))?.createdAt)?.getTime() ?? now;
  if (now - since < gracePeriodSeconds * 1000) return { outcome: 'in-grace-period' };
  const pending = versions.filter((v) => v.stages.includes(AWSPENDING));
  const keep = new Set([current.accessKeyId, ...keysIn(pending).map((k) => k.accessKeyId)]);
  const deletedKeyIds = await deleteKeys(
    keysIn(versions).filter((k) => !keep.has(k.accessKeyId)),
    until,
  );
  return { outcome: deletedKeyIds.length ? 'grace-period-ended' : 'nothing-to-expire', deletedKeyIds };
}
