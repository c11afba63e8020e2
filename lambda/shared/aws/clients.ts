/**
 * The SDK clients of the handlers, created once per execution environment and reused while it is warm. Only client
 * classes and the commands used are imported, so the bundler leaves the rest of each SDK out.
 */
import { LightsailClient } from '@aws-sdk/client-lightsail';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { TIME_BUDGET } from '../../../lib/contract';

let lightsailClient: LightsailClient | undefined;
let keyCreationClient: LightsailClient | undefined;
let secretsClient: SecretsManagerClient | undefined;

/** The SDK's standard retry strategy, TIME_BUDGET.sdkMaxAttempts attempts (AWS_MAX_ATTEMPTS overrides it). */
function clientConfig() {
  return process.env.AWS_MAX_ATTEMPTS ? {} : { maxAttempts: TIME_BUDGET.sdkMaxAttempts };
}

export function lightsail(): LightsailClient {
  return (lightsailClient ??= new LightsailClient(clientConfig()));
}

/**
 * CreateBucketAccessKey is not idempotent: when its answer is lost, a blind retry makes a second key and the first
 * one's secret is gone for good. Its client never retries; the caller decides (key-creation.ts).
 */
export function keyCreation(): LightsailClient {
  return (keyCreationClient ??= new LightsailClient({ maxAttempts: 1 }));
}

export function secretsManager(): SecretsManagerClient {
  return (secretsClient ??= new SecretsManagerClient(clientConfig()));
}
