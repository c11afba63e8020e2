/** The targets the README states, each checked against this run's numbers. */
import type { BenchResults } from './assemble';

export interface TargetResult {
  target: string;
  measured: string;
  met: boolean;
}

export function evaluateTargets(results: Omit<BenchResults, 'targets'>): TargetResult[] {
  const { apiCalls, apiCallsSequential, apiCallsByVariant, coldStart, synth, template, throttled } = results;
  const at100 = synth.keys.indexOf(100);
  const synthRatioAt100 = synth.ratio[at100];
  return [
    {
      target: 'Create in at most 3 sequential AWS calls',
      measured: `${apiCallsSequential.create} sequential, ${apiCalls.create} calls`,
      met: apiCallsSequential.create <= 3,
    },
    {
      target: 'no-op Update in 0 AWS calls',
      measured:
        `${apiCalls.noopUpdate} calls, ${apiCallsSequential.noopUpdate} sequential ` +
        `(${apiCallsByVariant.cfnBucket.noopUpdate.calls} with a CfnBucket)`,
      met: apiCalls.noopUpdate === 0,
    },
    {
      target: 'cold-start init at most 0.8x the naive reference',
      measured:
        `${coldStart.ratio}x wall (${coldStart.handlerInitMs} ms vs ${coldStart.referenceInitMs} ms); ` +
        `${coldStart.cpuRatio}x CPU${disagree(coldStart.ratio, coldStart.cpuRatio, 0.8)}`,
      met: coldStart.ratio <= 0.8,
    },
    {
      target: 'synth at 100 keys within 1.3x of the native pattern',
      measured:
        `${synthRatioAt100}x wall (${synth.ms[at100]} ms vs ${synth.nativeMs[at100]} ms); ` +
        `${synth.cpuRatio[at100]}x CPU${disagree(synthRatioAt100, synth.cpuRatio[at100], 1.3)}`,
      met: synthRatioAt100 <= 1.3,
    },
    {
      target: 'at most 2 CloudFormation resources per key',
      measured: `${template.resourcesPerKey}`,
      met: template.resourcesPerKey <= 2,
    },
    {
      target: `all ${throttled.keys} throttled creations succeed`,
      measured: `${throttled.succeeded} of ${throttled.keys}`,
      met: throttled.succeeded === throttled.keys,
    },
  ];
}

/** Targets are decided on wall time, as stated; a CPU-time ratio on the other side of the bound is worth a word. */
function disagree(wallRatio: number, cpuRatio: number, bound: number): string {
  return wallRatio <= bound === cpuRatio <= bound ? '' : ' (wall and CPU time disagree: a noisy run)';
}
