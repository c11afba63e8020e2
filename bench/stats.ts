/** Medians, ratios of back-to-back pairs and timers, shared by the sections. No statistics library is installed. */
import * as v8 from 'node:v8';
import * as vm from 'node:vm';

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export function round(value: number, decimals = 2): number {
  return Math.round(value * 10 ** decimals) / 10 ** decimals;
}

/** The median of per-pair ratios: steadier than a ratio of medians when the machine's load drifts during the run. */
export function pairedRatio(numerators: readonly number[], denominators: readonly number[]): number {
  return round(median(numerators.map((n, i) => n / denominators[i])), 3);
}

export function elapsedMs(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Wall and CPU milliseconds (of this process) that `work` takes. */
export function timed<T>(work: () => T): { value: T; wallMs: number; cpuMs: number } {
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  const value = work();
  const wallMs = elapsedMs(started);
  const cpu = process.cpuUsage(cpuBefore);
  return { value, wallMs, cpuMs: (cpu.user + cpu.system) / 1000 };
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
