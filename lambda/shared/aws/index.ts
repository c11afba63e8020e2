/**
 * Every AWS call the handlers make, behind one seam. Tests replace the clients with aws-sdk-client-mock, or point
 * them at the wire-level fakes through AWS_ENDPOINT_URL_LIGHTSAIL / AWS_ENDPOINT_URL_SECRETS_MANAGER.
 */
export * from './errors';
export * from './lightsail';
export * from './secrets-manager';
