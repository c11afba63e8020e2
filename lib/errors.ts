/** The one error the construct throws for bad input, at synth time. */
import type { IConstruct } from 'constructs';

/** The error for bad input: it names the construct, then says what is wrong and how to fix it. */
export function fail(scope: IConstruct, message: string): never {
  throw new Error(`BucketAccessKey ${scope.node.path}: ${message}`);
}
