// One loopback HTTP server that speaks awsJson 1.1 for Lightsail and Secrets Manager,
// so the real AWS SDK v3 clients (and unchanged handler code) can run against it.
import { randomUUID } from 'node:crypto';
import { IncomingMessage, ServerResponse, createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { FaultSpec, Faults, REJECTING_KINDS } from './faults';
import { FakeKms } from './kms';
import { FakeLightsail } from './lightsail';
import { ApiError, JsonObject, ServiceName, serviceError } from './protocol';
import { FakeSecretsManager } from './secrets-manager';

export type { BucketInfo, KeyInfo } from './lightsail';
export type { SecretState, SecretVersion } from './secrets-manager';
export type { KmsPermission, KmsUse } from './kms';
export type { CustomError, FaultKind, FaultSpec } from './faults';
export type { ServiceName } from './protocol';

export interface RequestRecord {
  service: ServiceName;
  operation: string;
  /** The parsed request body. */
  input: JsonObject;
  /** HTTP status sent, 'dropped' when the socket was destroyed instead, 0 while in progress. */
  status: number | 'dropped';
  /** Which fault touched the call: an injected kind, or 'rateLimit'. */
  fault?: string;
  /** Epoch milliseconds. */
  startedAt: number;
  endedAt?: number;
  /** The x-amzn-requestid sent (the SDK's `$metadata.requestId`). */
  requestId: string;
  /** The caller's user agent: AWS_SDK_UA_APP_ID puts an app id of the caller's choice into it. */
  userAgent: string;
}

/**
 * Called after an operation ran (its state change is done) and before its answer is sent: a harness can kill the
 * caller here, modelling a process that dies between an AWS call taking effect and seeing its answer.
 */
export type AfterOperationHook = (record: RequestRecord, answer: JsonObject | ApiError) => Promise<void> | void;

export interface AwsFake {
  /** http://127.0.0.1:PORT */
  readonly endpoint: string;
  readonly region: string;
  readonly accountId: string;
  readonly lightsail: FakeLightsail;
  readonly secrets: FakeSecretsManager;
  /** The KMS keys that encrypt secrets, and who may use them. */
  readonly kms: FakeKms;
  readonly faults: Faults;
  /** Every call in arrival order (cleared in place by reset()). */
  readonly requests: RequestRecord[];
  /** See AfterOperationHook; reset() removes it. */
  afterOperation?: AfterOperationHook;
  /** Environment variables that point unchanged SDK code at the fake. */
  env(): Record<string, string>;
  /** Client configuration for `new LightsailClient(...)` / `new SecretsManagerClient(...)`. */
  clientConfig(): { endpoint: string; region: string; credentials: { accessKeyId: string; secretAccessKey: string } };
  /** Every Lightsail secretAccessKey ever generated, for leak searches. */
  generatedSecrets(): string[];
  /** Clears all state, faults and the request log. */
  reset(): void;
  close(): Promise<void>;
}

const TARGET_PREFIXES: Record<string, ServiceName> = {
  Lightsail_20161128: 'lightsail',
  secretsmanager: 'secretsmanager',
};

// Signatures are not checked, so any static pair works.
const DUMMY_CREDENTIALS = { accessKeyId: 'AKIAFAKEFAKEFAKEFAKE', secretAccessKey: 'fake-secret-access-key' };

export async function startAwsFake(options: { region?: string; accountId?: string } = {}): Promise<AwsFake> {
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '123456789012';
  const lightsail = new FakeLightsail(region, accountId);
  const kms = new FakeKms(region, accountId);
  const secrets = new FakeSecretsManager(region, accountId, kms);
  const faults = new Faults();
  const requests: RequestRecord[] = [];

  const backends: Record<ServiceName, { handle(operation: string, input: JsonObject, caller: string): JsonObject }> = {
    lightsail,
    secretsmanager: secrets,
  };

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const startedAt = Date.now();
    const requestId = randomUUID();
    const raw = await readBody(req);
    const [prefix, operation] = String(req.headers['x-amz-target'] ?? '').split('.');
    const service = TARGET_PREFIXES[prefix];
    if (!service || !operation) {
      send(res, requestId, 400, { __type: 'UnknownOperationException', message: 'Unknown x-amz-target' });
      return;
    }
    const input = parseJson(raw);
    const userAgent = String(req.headers['user-agent'] ?? '');
    const record: RequestRecord = {
      service,
      operation,
      input: input ?? {},
      status: 0,
      startedAt,
      requestId,
      userAgent,
    };
    requests.push(record);

    // Faults are decided on arrival, before the operation can change anything.
    const fault = faults.take(service, operation);
    const rejecting = fault !== undefined && REJECTING_KINDS.has(fault.kind);
    const rateLimited = !rejecting && !faults.admit(service);
    if (fault) record.fault = fault.kind;
    else if (rateLimited) record.fault = 'rateLimit';

    const delay = faults.constantLatency(service) + (fault?.kind === 'latency' ? fault.latencyMs! : 0);
    if (delay > 0) await sleep(delay);

    if (fault?.kind === 'drop') return drop(req, record);
    let answer: ApiError | JsonObject;
    if (rejecting) answer = faultAnswer(service, fault);
    else if (rateLimited) answer = throttling(service, 400);
    else if (input === undefined) answer = serialization(service);
    else {
      answer = run(service, operation, input, userAgent);
      await fake.afterOperation?.(record, answer);
    }
    if (fault?.kind === 'dropAfterCommit') return drop(req, record);

    const [status, body] = answer instanceof ApiError ? [answer.status, answer.body] : [200, answer];
    send(res, requestId, status, body);
    record.status = status;
    record.endedAt = Date.now();
  }

  function run(service: ServiceName, operation: string, input: JsonObject, caller: string): ApiError | JsonObject {
    try {
      return backends[service].handle(operation, input, caller);
    } catch (error) {
      if (error instanceof ApiError) return error;
      // A bug in the fake: answer like the service's own server fault so the test fails loudly.
      return serviceError(service, { status: 500, type: serverFaultType(service), message: String(error) });
    }
  }

  const server = createServer((req, res) => {
    // Operation errors are answered inside serve(); what is left is a client gone mid-request.
    serve(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const fake: AwsFake = {
    endpoint,
    region,
    accountId,
    lightsail,
    secrets,
    kms,
    faults,
    requests,
    env: () => ({
      AWS_ENDPOINT_URL_LIGHTSAIL: endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint,
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: DUMMY_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: DUMMY_CREDENTIALS.secretAccessKey,
    }),
    clientConfig: () => ({ endpoint, region, credentials: { ...DUMMY_CREDENTIALS } }),
    generatedSecrets: () => lightsail.generatedSecrets(),
    reset: () => {
      lightsail.reset();
      secrets.reset();
      kms.reset();
      faults.clear();
      requests.length = 0;
      fake.afterOperation = undefined;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Keep-alive sockets of SDK clients would otherwise hold close() open.
        server.closeAllConnections();
      }),
  };
  return fake;
}

function faultAnswer(service: ServiceName, fault: FaultSpec): ApiError {
  switch (fault.kind) {
    case 'throttle':
      return throttling(service, 400);
    case 'throttle429':
      return throttling(service, 429);
    case 'serverError':
      return serviceError(service, {
        status: 500,
        type: serverFaultType(service),
        message: 'An internal error occurred.',
      });
    default:
      return serviceError(service, fault.error!);
  }
}

function throttling(service: ServiceName, status: number): ApiError {
  return serviceError(service, { status, type: 'ThrottlingException', message: 'Rate exceeded' });
}

function serialization(service: ServiceName): ApiError {
  return serviceError(service, {
    status: 400,
    type: 'SerializationException',
    message: 'The request body is not a JSON object.',
  });
}

function serverFaultType(service: ServiceName): string {
  return service === 'lightsail' ? 'ServiceException' : 'InternalServiceError';
}

function send(res: ServerResponse, requestId: string, status: number, body: JsonObject): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'content-length': Buffer.byteLength(payload),
    'x-amzn-requestid': requestId,
  });
  res.end(payload);
}

function drop(req: IncomingMessage, record: RequestRecord): void {
  req.socket.destroy();
  record.status = 'dropped';
  record.endedAt = Date.now();
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** The parsed body, or undefined when it is not a JSON object. */
function parseJson(raw: string): JsonObject | undefined {
  if (raw.trim() === '') return {};
  try {
    const parsed: unknown = JSON.parse(raw);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as JsonObject) : undefined;
  } catch {
    return undefined;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
