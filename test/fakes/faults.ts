// Programmable faults: per-call injections, constant latency and a token-bucket rate limit per service.
import { ServiceName } from './protocol';

export type FaultKind =
  /** HTTP 400 ThrottlingException. */
  | 'throttle'
  /** HTTP 429 ThrottlingException. */
  | 'throttle429'
  /** HTTP 500 ServiceException (Lightsail) / InternalServiceError (Secrets Manager). */
  | 'serverError'
  /** Socket destroyed without any response; nothing changes. */
  | 'drop'
  /** The operation runs, then the socket is destroyed: a response lost in flight. */
  | 'dropAfterCommit'
  /** The real answer, `latencyMs` later. */
  | 'latency'
  /** A custom error answer (`error`). */
  | 'error';

export interface CustomError {
  status: number;
  /** Sent as `__type`; an unmodelled type becomes the service's base exception named after it. */
  type: string;
  message: string;
  /** Lightsail only: the modelled `code` member. */
  code?: string;
}

export interface FaultSpec {
  service: ServiceName;
  /** Operation name, e.g. 'CreateBucketAccessKey'; any operation of the service when omitted. */
  operation?: string;
  kind: FaultKind;
  /** How many calls the fault hits (default 1). */
  times?: number;
  /** Matching calls to let through untouched before the fault starts hitting. */
  afterCalls?: number;
  /** Required for kind 'latency'. */
  latencyMs?: number;
  /** Required for kind 'error'. */
  error?: CustomError;
}

/** Kinds that answer instead of the operation, so its state change never happens. */
export const REJECTING_KINDS: ReadonlySet<FaultKind> = new Set([
  'throttle',
  'throttle429',
  'serverError',
  'drop',
  'error',
]);

interface ArmedFault {
  spec: FaultSpec;
  /** Matching calls seen so far, hit or not. */
  seen: number;
  remaining: number;
}

interface TokenBucket {
  perSecond: number;
  tokens: number;
  refilledAt: number;
}

export class Faults {
  private armed: ArmedFault[] = [];
  private readonly latencies = new Map<ServiceName, number>();
  private readonly limits = new Map<ServiceName, TokenBucket>();

  /**
   * Arms a fault. Every armed fault counts every call it matches (for `afterCalls`);
   * when several could hit the same call, the earliest injected one does.
   */
  inject(spec: FaultSpec): void {
    if (spec.kind === 'error' && !spec.error) throw new Error("kind 'error' needs `error`");
    if (spec.kind === 'latency' && !spec.latencyMs) throw new Error("kind 'latency' needs `latencyMs`");
    this.armed.push({ spec, seen: 0, remaining: spec.times ?? 1 });
  }

  /** Adds `ms` to every call of the service (0 removes it). */
  latency(service: ServiceName, ms: number): void {
    this.latencies.set(service, ms);
  }

  /**
   * Allows `perSecond` calls per second to the service (bursts up to that many); calls
   * beyond get a 400 ThrottlingException. `undefined` removes the limit.
   */
  rateLimit(service: ServiceName, perSecond: number | undefined): void {
    if (perSecond === undefined) this.limits.delete(service);
    else this.limits.set(service, { perSecond, tokens: perSecond, refilledAt: Date.now() });
  }

  /** Injected faults that still have hits left. */
  pending(): number {
    return this.armed.reduce((sum, f) => sum + f.remaining, 0);
  }

  clear(): void {
    this.armed = [];
    this.latencies.clear();
    this.limits.clear();
  }

  // ---- Used by the server, once per incoming call ----

  /** The injected fault that hits this call, if any (consumes one of its hits). */
  take(service: ServiceName, operation: string): FaultSpec | undefined {
    let hit: ArmedFault | undefined;
    for (const fault of this.armed) {
      const { spec } = fault;
      if (spec.service !== service || (spec.operation && spec.operation !== operation)) continue;
      fault.seen++;
      if (!hit && fault.remaining > 0 && fault.seen > (spec.afterCalls ?? 0)) hit = fault;
    }
    if (hit) hit.remaining--;
    this.armed = this.armed.filter((f) => f.remaining > 0);
    return hit?.spec;
  }

  constantLatency(service: ServiceName): number {
    return this.latencies.get(service) ?? 0;
  }

  /** Whether the call fits the service's rate limit; an admitted call uses one token. */
  admit(service: ServiceName): boolean {
    const bucket = this.limits.get(service);
    if (!bucket) return true;
    const now = Date.now();
    const capacity = Math.max(1, bucket.perSecond);
    bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.refilledAt) / 1000) * bucket.perSecond);
    bucket.refilledAt = now;
    if (bucket.tokens < 1) return false;
    bucket.tokens--;
    return true;
  }
}
