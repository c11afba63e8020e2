/**
 * The keys a lineage's secret has recorded, in any of its versions (deprecated ones included), and their deletion.
 * The custom resource handler and the rotation handler both delete keys by what the secret recorded.
 */
import type { KeySecretValue } from '../../lib/contract';
import * as aws from './aws';
import { keysToDelete, parseKeySecret } from './key-secret';

/** A key a secret version records, with that version (its stages, its creation date). */
export interface RecordedKey {
  readonly version: aws.SecretVersion;
  readonly key: KeySecretValue;
}

/** Every version of the secret that records a key. */
export async function recordedKeys(secretArn: string): Promise<RecordedKey[]> {
  const recorded: RecordedKey[] = [];
  for (const version of await aws.readAllSecretVersions(secretArn)) {
    const key = parseKeySecret(version.secretString);
    if (key) recorded.push({ version, key });
  }
  return recorded;
}

/** Every key recorded in any version of the secret, once each: what a Delete deletes. */
export async function readRecords(secretArn: string): Promise<KeySecretValue[]> {
  return keysToDelete(await recordedKeys(secretArn), () => false);
}

/**
 * Deletes, each once and in parallel, the recorded keys that no kept record holds; a key already gone counts as
 * deleted. Returns the ids of the keys it deleted.
 */
export async function deleteRecordedKeysExcept(
  records: readonly RecordedKey[],
  keep: (record: RecordedKey) => boolean,
): Promise<string[]> {
  const deleted = await Promise.all(
    keysToDelete(records, keep).map(async (k) =>
      (await aws.deleteKey(k.bucketName, k.accessKeyId)) ? k.accessKeyId : '',
    ),
  );
  return deleted.filter((id) => id !== '');
}
