/**
 * Lightsail's per-bucket key limit (MAX_KEYS_PER_BUCKET), checked at synth time across the whole app: every key takes
 * one slot of its bucket, and a rotating key all of them (the current key and the previous one). One construct at the
 * root of the app counts them, once, however many keys there are.
 */
import { Stack, Token } from 'aws-cdk-lib';
import type * as lightsail from 'aws-cdk-lib/aws-lightsail';
import { Construct, type IConstruct } from 'constructs';
import { MAX_KEYS_PER_BUCKET } from './contract';

const ID = 'LightsailBucketAccessKeySlots';

interface SlotUser {
  readonly key: IConstruct;
  readonly bucketName: string;
  readonly rotates: boolean;
}

/** The slots a key takes: all of its bucket's when it rotates (the current key and the previous one), else one. */
function slotsOf(user: SlotUser): number {
  return user.rotates ? MAX_KEYS_PER_BUCKET : 1;
}

export class BucketSlots extends Construct {
  /** The app's counter, created on first use at the root of the construct tree. */
  public static of(scope: IConstruct): BucketSlots {
    const root = scope.node.root;
    const existing = root.node.tryFindChild(ID);
    return existing instanceof BucketSlots ? existing : new BucketSlots(root as Construct, ID);
  }

  /** Keys by bucket: a bucket is its region and name, or its construct path when its name is a token. */
  private readonly byBucket = new Map<string, SlotUser[]>();

  private constructor(scope: Construct, id: string) {
    super(scope, id);
    this.node.addValidation({ validate: () => this.overbooked() });
  }

  /**
   * Counts the slots a key takes on its bucket (given as `bucket`, or by `bucketName`), by whether it rotates. A key
   * deploys after the keys of its stack already on that bucket: a key that frees a slot in the same deploy (rotation
   * turned off deletes the previous key) does so before a new key needs it, as the count here assumes.
   */
  public use(key: IConstruct, bucketName: string, bucket: lightsail.CfnBucket | undefined, rotates: boolean): void {
    const id = `${Stack.of(key).region}/${bucket && Token.isUnresolved(bucketName) ? bucket.node.path : bucketName}`;
    const users = this.byBucket.get(id) ?? [];
    const before = users.filter((u) => Stack.of(u.key) === Stack.of(key)).at(-1);
    if (before) key.node.addDependency(before.key);
    users.push({ key, bucketName, rotates });
    this.byBucket.set(id, users);
  }

  private overbooked(): string[] {
    const errors: string[] = [];
    for (const users of this.byBucket.values()) {
      const slots = users.reduce((n, u) => n + slotsOf(u), 0);
      if (slots <= MAX_KEYS_PER_BUCKET) continue;
      const count = (u: SlotUser) => `${u.key.node.path}${u.rotates ? ' rotates' : ''}: ${slotsOf(u)}`;
      errors.push(
        `Bucket "${users[0].bucketName}" needs ${slots} key slots (${users.map(count).join(', ')}), but Lightsail ` +
          `allows at most ${MAX_KEYS_PER_BUCKET} access keys per bucket. A rotating key uses two: the current key ` +
          'and the previous one during its grace period. Remove keys, or rotation, until at most two slots are ' +
          "needed, and share a key's secret with several consumers through grantRead.",
      );
    }
    return errors;
  }
}
