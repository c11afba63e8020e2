/**
 * The handlers' errors and their messages, in one place. A KeyError's message is written for the person deploying:
 * what happened, whether anything changed, and what to do. It is reported as is (no type name), and, like every
 * string the handlers send out, passes the redactor first. Messages name keys by id, never by secret.
 */
import { type BucketKeyInfo, isNotFound } from './aws';
import { describeError } from './log';

export class KeyError extends Error {}

/** Another key took the bucket's last free slot while this one was being created: nothing was created. */
export class SlotTakenError extends KeyError {}

/** A key as one line for an error message: id, creation, last use. Never the secret. */
export function describeKey(key: BucketKeyInfo): string {
  const created = key.createdAt ? key.createdAt.toISOString() : 'unknown';
  const lastUsed = key.lastUsedAt ? `last used ${key.lastUsedAt.toISOString()}` : 'never used';
  return `${key.accessKeyId} (${key.status ?? 'status unknown'}, created ${created}, ${lastUsed})`;
}

/** How to delete a key by hand. */
function deleteByHand(bucketName: string, accessKeyId = '<id>'): string {
  return `aws lightsail delete-bucket-access-key --bucket-name ${bucketName} --access-key-id ${accessKeyId}`;
}

export const explain = {
  /** A bucket whose two key slots are taken: which keys hold them, why it matters here, and what to do. */
  noFreeSlot: (bucketName: string, keys: readonly BucketKeyInfo[], why: string) =>
    [
      `Bucket "${bucketName}" already has ${keys.length} access keys, Lightsail's limit per bucket:`,
      keys.map((k) => `  - ${describeKey(k)}`).join('\n'),
      why,
      `To fix it, free a slot and deploy again: delete a key nobody uses (${deleteByHand(bucketName)}), or remove ` +
        'another BucketAccessKey of this bucket for one deploy.',
    ].join('\n'),

  bucketNotFound: (bucketName: string, region: string) =>
    `Lightsail bucket "${bucketName}" does not exist in ${region}. If the bucket is defined in this app, pass ` +
    'the lightsail.CfnBucket as `bucket` (which also deploys the key after the bucket); otherwise check `bucketName`.',

  // ---- creating a key ----
  tooLateToCreate: (bucketName: string) =>
    `Too little of the handler's time was left to create an access key for bucket "${bucketName}" and record ` +
    'it (AWS was slow or throttling): nothing was created. A retry starts afresh.',
  keyAppearedWithoutAnswer: (bucketName: string, error: unknown, appeared: readonly BucketKeyInfo[]) =>
    `Creating an access key for bucket "${bucketName}" failed without an answer (${describeError(error)}), and ` +
    `the bucket now has a key it did not have before: ${appeared.map(describeKey).join('; ')}. Lightsail ` +
    "returns a key's secret only in that answer, so if the key was created for this deploy it can never be " +
    `used: unless another deploy created it at the same time, delete it (${deleteByHand(bucketName)}) and deploy again.`,
  slotTakenMeanwhile: (secretArn: string) =>
    `Another key took the last free slot while this one (secret ${secretArn}) was being created. Nothing was changed.`,
  couldNotCreate: (bucketName: string, error: unknown) =>
    `Could not create an access key for bucket "${bucketName}": ${describeError(error)}`,
  couldNotStore: (writeError: unknown) =>
    `Could not store the new access key in its secret (${describeError(writeError)}). The key was deleted again.`,
  couldNotStoreNorDelete: (bucketName: string, accessKeyId: string, writeError: unknown, deleteError: unknown) =>
    `Could not store the new access key ${accessKeyId} in its secret (${describeError(writeError)}), and deleting ` +
    `it again failed (${describeError(deleteError)}): delete it by hand with ${deleteByHand(bucketName, accessKeyId)}.`,
  creationFailed: (failure: string, secretArn: string) =>
    `${failure} The key is recorded in ${secretArn} but does not work; a retry replaces it.`,

  // ---- the custom resource's Create and Update ----
  notAKeySecret: (secretArn: string, prefix: string | undefined) =>
    `Secret ${secretArn} is not one of this stack's key secrets (${prefix}...), the only secrets its handler writes ` +
    'keys into. Was the template changed by hand? Nothing was created.',
  secretScheduledForDeletion: (secretArn: string) =>
    `The key's secret ${secretArn} is scheduled for deletion, outside CloudFormation. Restore it ` +
    `(aws secretsmanager restore-secret --secret-id ${secretArn}) and deploy again.`,
  secretMissing: (secretArn: string) =>
    `The key's secret ${secretArn} does not exist: it was deleted outside CloudFormation, or by a stack operation ` +
    'this request outlived. Nothing was created. If it was deleted by hand, increment `serial` to give the key a new ' +
    'secret.',
  lineageRetired: (secretArn: string) =>
    `The key's secret ${secretArn} was closed by a Delete of its resource: this request came after CloudFormation ` +
    'had given up on it. Nothing was created.',
  otherBucket: (secretArn: string, recorded: string, wanted: string) =>
    `Secret ${secretArn} records a key of bucket "${recorded}", not "${wanted}". Each key secret belongs to one ` +
    'bucket; was the secret written by something else?',
  replacementNeedsSlot: (secretArn: string) =>
    `None of them is recorded in this key's secret (${secretArn}). A new key is always created before an old one is ` +
    'deleted, so replacing a key (a changed bucket or serial) needs a free slot. Nothing was changed.',
  closedWhileCreated: (secretArn: string) =>
    `The key's lineage ${secretArn} was closed while its key was created: deleted it again.`,

  // ---- rotation ----
  rotationOfClosedLineage: (secretArn: string) =>
    `The lineage of secret ${secretArn} was closed (its key was deleted): nothing to rotate.`,
  rotationTurnedOff: (secretArn: string) =>
    `Secret ${secretArn}: rotation is turned off for this key (its \`rotation\` prop was removed).`,
  rotationEnded: (secretArn: string, token: string, how: string) =>
    `Rotation ${token} of secret ${secretArn} was ended${how}`,
  noKeyToRotate: (secretArn: string) =>
    `Secret ${secretArn} holds no access key yet: its BucketAccessKey has not been deployed.`,
  rotationNeedsSlot: (secretArn: string) =>
    `Rotating secret ${secretArn} needs a slot for the new key beside the current one; the other key is not this ` +
    "secret's. A rotating BucketAccessKey needs its bucket to itself.",
  noPendingKey: (secretArn: string, token: string) => `Secret ${secretArn} has no pending key for rotation ${token}.`,
  pendingKeyNotActive: (secretArn: string, accessKeyId: string, status: string | undefined, bucketName: string) =>
    `The pending key ${accessKeyId} of secret ${secretArn} is ${status} on bucket "${bucketName}", not Active.`,
};

/** Rethrows a not-found answer for a bucket as the error that says what to do. */
export function explainMissingBucket(bucketName: string, region: string) {
  return (error: unknown): never => {
    if (isNotFound(error)) throw new KeyError(explain.bucketNotFound(bucketName, region));
    throw error;
  };
}
