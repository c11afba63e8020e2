/** CloudFormation custom resource events for handler tests. */
import type {
  CloudFormationCustomResourceCreateEvent,
  CloudFormationCustomResourceDeleteEvent,
  CloudFormationCustomResourceUpdateEvent,
} from 'aws-lambda';
import { randomBytes } from 'node:crypto';
import { type KeyResourceProperties, RESOURCE_TYPE, keySecretNamePrefix } from '../../lib/contract';

const STACK_UUID = '6c7f2f40-0000-11ef-0000-0a1b2c3d4e5f';
export const STACK_ID = `arn:aws:cloudformation:eu-west-1:123456789012:stack/TestStack/${STACK_UUID}`;
const SECRETS = `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${keySecretNamePrefix('TestStack', STACK_UUID)}`;
export const SECRET_ARN_V0 = `${SECRETS}media-assets/c8a4070ebf-v0-AbCdEf`;
export const SECRET_ARN_V1 = `${SECRETS}media-assets/c8a4070ebf-v1-GhIjKl`;
/** The physical id CloudFormation makes up for a custom resource whose Create it never got an answer for. */
export const MADE_UP_PHYSICAL_ID = 'TestStack-MediaKey78E57B5A-1A2B3C4D5E6F';

let counter = 0;
const nextRequestId = () => `req-${++counter}`;

/** A key resource's properties as CloudFormation delivers them: the contract's, plus the ServiceToken. */
export type DeliveredProperties = KeyResourceProperties & { readonly ServiceToken: string };

export function keyProperties(overrides: Partial<KeyResourceProperties> = {}): DeliveredProperties {
  return {
    ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:handler',
    SecretArn: SECRET_ARN_V0,
    BucketName: 'media-assets',
    Endpoint: 'https://media-assets.s3.eu-west-1.amazonaws.com/',
    RemovalPolicy: 'destroy',
    ...overrides,
  };
}

const common = (responseUrl: string) => ({
  ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:handler',
  ResponseURL: responseUrl,
  StackId: STACK_ID,
  LogicalResourceId: 'MediaKey78E57B5A',
  ResourceType: RESOURCE_TYPE,
});

export function createEvent(responseUrl: string, props = keyProperties(), requestId = nextRequestId()) {
  return {
    ...common(responseUrl),
    RequestType: 'Create',
    RequestId: requestId,
    ResourceProperties: props,
  } as CloudFormationCustomResourceCreateEvent;
}

export function updateEvent(
  responseUrl: string,
  physicalResourceId: string,
  props: DeliveredProperties,
  oldProps: DeliveredProperties,
) {
  return {
    ...common(responseUrl),
    RequestType: 'Update',
    RequestId: nextRequestId(),
    PhysicalResourceId: physicalResourceId,
    ResourceProperties: props,
    OldResourceProperties: oldProps,
  } as CloudFormationCustomResourceUpdateEvent;
}

export function deleteEvent(responseUrl: string, physicalResourceId: string, props = keyProperties()) {
  return {
    ...common(responseUrl),
    RequestType: 'Delete',
    RequestId: nextRequestId(),
    PhysicalResourceId: physicalResourceId,
    ResourceProperties: props,
  } as CloudFormationCustomResourceDeleteEvent;
}

/** A new key as CreateBucketAccessKey returns it; its secret joins `generated`, which the test searches outputs for. */
export function generateKey(generated: string[]): { accessKeyId: string; secretAccessKey: string } {
  const key = {
    accessKeyId: `AKIA${randomBytes(8).toString('hex').toUpperCase()}`,
    secretAccessKey: randomBytes(30).toString('base64'),
  };
  generated.push(key.secretAccessKey);
  return key;
}
