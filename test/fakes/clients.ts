// The fake server for a test file, and real SDK v3 clients pointed at it.
import { LightsailClient } from '@aws-sdk/client-lightsail';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { type AwsFake, startAwsFake } from './aws-fake';

export interface FakeWithClients {
  /** The fake, started before the file's tests and reset before each. */
  readonly fake: () => AwsFake;
  /** Retries without backoff delays keep a suite fast while exercising the SDK's own retry decisions. */
  readonly lightsail: (maxAttempts?: number) => LightsailClient;
  readonly secretsManager: (maxAttempts?: number) => SecretsManagerClient;
  /** Destroys a client the test made itself when the file's tests are done. */
  readonly track: (...clients: Array<{ destroy(): void }>) => void;
}

/** Starts one fake for the test file (in beforeAll), resets it before each test, and closes it and the clients. */
export function useFake(options: { region?: string; accountId?: string } = {}): FakeWithClients {
  let fake: AwsFake | undefined;
  const clients: Array<{ destroy(): void }> = [];
  beforeAll(async () => {
    fake = await startAwsFake(options);
  });
  beforeEach(() => fake!.reset());
  afterAll(async () => {
    clients.forEach((c) => c.destroy());
    await fake!.close();
  });
  const client = <T extends { destroy(): void }>(make: (config: object) => T, maxAttempts: number): T => {
    const made = make({ ...fake!.clientConfig(), retryStrategy: new ConfiguredRetryStrategy(maxAttempts, 0) });
    clients.push(made);
    return made;
  };
  return {
    fake: () => fake!,
    lightsail: (maxAttempts = 1) => client((c) => new LightsailClient(c), maxAttempts),
    secretsManager: (maxAttempts = 1) => client((c) => new SecretsManagerClient(c), maxAttempts),
    track: (...made) => clients.push(...made),
  };
}

/** The error a call rejects with (fails the test if it resolves). */
export async function failure(call: Promise<unknown>): Promise<any> {
  try {
    await call;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}
