/**
 * Captures what a handler sends out: the CloudFormation responses it PUTs to the pre-signed URL, and its console
 * output. Leak checks search both for every secret a test generated.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CapturedResponse {
  readonly Status: 'SUCCESS' | 'FAILED';
  readonly Reason?: string;
  readonly PhysicalResourceId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
  readonly StackId: string;
  readonly Data?: Record<string, string>;
  /** The body exactly as received. */
  readonly raw: string;
  /** The URL path it was PUT to. */
  readonly path: string;
}

/** A stand-in for CloudFormation's pre-signed response URL. */
export class ResponseEndpoint {
  public static async start(): Promise<ResponseEndpoint> {
    const endpoint = new ResponseEndpoint();
    await new Promise<void>((resolve) => endpoint.server.listen(0, '127.0.0.1', resolve));
    return endpoint;
  }

  public readonly responses: CapturedResponse[] = [];
  /** Answer the next N PUTs with this HTTP status instead of 200 (to test delivery failures). */
  public failNext = 0;
  private readonly waiting = new Map<string, (response: CapturedResponse) => void>();
  private readonly server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      if (this.failNext > 0) {
        this.failNext--;
        res.writeHead(500).end();
        return;
      }
      const path = (req.url ?? '/').slice(1);
      const response: CapturedResponse = { ...JSON.parse(body), raw: body, path };
      this.responses.push(response);
      res.writeHead(200).end();
      this.waiting.get(path)?.(response);
      this.waiting.delete(path);
    });
  });

  public url(path = 'response'): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/${path}`;
  }

  /** The first response PUT to `url(path)`, as CloudFormation takes the first answer and ignores later ones. */
  public waitFor(path: string): Promise<CapturedResponse> {
    const earlier = this.responses.find((r) => r.path === path);
    if (earlier) return Promise.resolve(earlier);
    return new Promise((resolve) => this.waiting.set(path, resolve));
  }

  public last(): CapturedResponse {
    const last = this.responses.at(-1);
    if (!last) throw new Error('no response was sent');
    return last;
  }

  public close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** Records console output instead of printing it. */
export class ConsoleCapture {
  public readonly lines: string[] = [];
  private readonly spies: jest.SpyInstance[] = [];

  public start(): this {
    for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      this.spies.push(
        jest.spyOn(console, method).mockImplementation((...args: unknown[]) => {
          this.lines.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
        }),
      );
    }
    return this;
  }

  /** The structured lines, parsed. */
  public json(): Array<Record<string, unknown>> {
    return this.lines.map((l) => JSON.parse(l));
  }

  public stop(): void {
    for (const spy of this.spies) spy.mockRestore();
    this.spies.length = 0;
  }
}

/** Fails when any of the secrets occurs in any of the texts. */
export function expectNoSecretIn(texts: readonly string[], secrets: readonly string[]): void {
  expect(secrets.length).toBeGreaterThan(0);
  for (const secret of secrets) {
    for (const text of texts) {
      if (text.includes(secret)) throw new Error(`a secret access key leaked into: ${text.slice(0, 200)}...`);
    }
  }
}
