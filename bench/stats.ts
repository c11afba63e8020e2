/** Small numeric helpers shared by the benchmark sections. */
import * as v8 from 'node:v8';
import * as vm from 'node:vm';

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Rounds to a fixed number of decimals (keeps results.json readable). */
export function round(value: number, decimals = 2): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}

export function ratio(numerator: number, denominator: number): number {
  return round(numerator / denominator, 3);
}

/**
 * The median of per-pair ratios, each pair measured back to back: steadier than a ratio of medians when the load of
 * the machine changes during the run.
 */
export function pairedRatio(numerators: readonly number[], denominators: readonly number[]): number {
  return round(median(numerators.map((n, i) => n / denominators[i])), 3);
}

let collectGarbage: (() => void) | undefined;

/** A full garbage collection, so that one measurement does not pay for the garbage of the one before. */
export function forceGc(): void {
  if (!collectGarbage) {
    v8.setFlagsFromString('--expose-gc');
    collectGarbage = vm.runInNewContext('gc') as () => void;
  }
  collectGarbage();
}

/** Milliseconds since `start`, from the monotonic clock. */
export function elapsedMs(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

export interface TimedCall {
  readonly startedAt: number;
  readonly endedAt?: number;
}

/**
 * Each call's level on the critical path: 1 + the highest level among calls that ended before it started. Calls
 * that overlap in time (issued in parallel) share a level. Returned in start order.
 */
export function callLevels<T extends TimedCall>(calls: readonly T[]): Array<{ call: T; level: number }> {
  const sorted = [...calls].sort((a, b) => a.startedAt - b.startedAt);
  const levels: number[] = [];
  sorted.forEach((call, i) => {
    let before = 0;
    for (let j = 0; j < i; j++) {
      if ((sorted[j].endedAt ?? sorted[j].startedAt) <= call.startedAt) before = Math.max(before, levels[j]);
    }
    levels.push(before + 1);
  });
  return sorted.map((call, i) => ({ call, level: levels[i] }));
}

/** The number of calls on the longest chain of calls that each started after the previous one ended. */
export function sequentialDepth(calls: readonly TimedCall[]): number {
  return Math.max(0, ...callLevels(calls).map((c) => c.level));
}

/** Largest n with fixed + perItem * n <= limit. */
export function largestFitting(limit: number, fixed: number, perItem: number): number {
  return Math.floor((limit - fixed) / perItem);
}
