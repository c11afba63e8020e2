/** Renders bench/results.json as the markdown printed by `npm run bench` and written to bench/results.md. */
import type { BenchResults } from './assemble';
import { CFN_MAX_RESOURCES, CFN_MAX_TEMPLATE_BYTES } from './limits';

export function renderMarkdown(r: BenchResults): string {
  return [
    '# Benchmark results',
    '',
    `Node ${r.meta.node}, ${r.meta.cpus} CPUs (${r.meta.cpuModel}), ${r.meta.platform}, ${r.meta.date}; whole run ` +
      `${r.meta.totalSeconds} s; load average ${r.meta.loadAverage.start} at the start, ${r.meta.loadAverage.end} at ` +
      'the end. Times are medians and noisy; compare the ratios, each the median of back-to-back pairs with a ' +
      'reference measured in the same run. CPU time (of the measured process) is less sensitive to other work on ' +
      'the machine than wall time.',
    '',
    '## Targets',
    '',
    table(
      ['Target', 'Measured', 'Met'],
      r.targets.map((t) => [t.target, t.measured, t.met ? 'met' : '**not met**']),
    ),
    ...(r.violations.length ? ['', `Simulator invariant violations: ${r.violations.join('; ')}`] : []),
    '',
    ...coldStart(r),
    ...apiCalls(r),
    ...synth(r),
    ...templateLimits(r),
    ...throttled(r),
  ].join('\n');
}

function coldStart(r: BenchResults): string[] {
  const c = r.coldStart;
  return [
    '## Cold start',
    '',
    table(
      ['', 'Shipped handler', 'Naive reference', 'Ratio'],
      [
        [
          'Bundle bytes',
          num(c.handlerBundleBytes),
          num(c.referenceBundleBytes),
          String(ratio(c.handlerBundleBytes, c.referenceBundleBytes)),
        ],
        [
          `Module init, wall ms (${c.processesPerBundle} processes each)`,
          String(c.handlerInitMs),
          String(c.referenceInitMs),
          String(c.ratio),
        ],
        ['Module init, CPU ms', String(c.handlerInitCpuMs), String(c.referenceInitCpuMs), String(c.cpuRatio)],
      ],
    ),
    '',
    `Module init: ${c.method}. The reference imports the aggregated \`Lightsail\` and \`SecretsManager\` clients and is ` +
      'bundled by esbuild with its defaults for Node (bundle, minify, node22, cjs), built in this run.',
    '',
  ];
}

function apiCalls(r: BenchResults): string[] {
  const byName = r.apiCallsByVariant.bucketName;
  const byBucket = r.apiCallsByVariant.cfnBucket;
  const rows: Array<[string, keyof typeof byName | 'replace']> = [
    ['Create', 'create'],
    ['No-op Update (removal policy only)', 'noopUpdate'],
    ['Deploy with no change', 'unchangedDeploy'],
    ['Replacement: Update to the new lineage', 'replaceUpdate'],
    ['Replacement: cleanup Delete of the old one', 'replaceCleanupDelete'],
    ['Replacement, both', 'replace'],
    ['Delete (stack teardown)', 'delete'],
  ];
  const cell = (
    measures: typeof byName,
    event: keyof typeof byName | 'replace',
    pick: 'calls' | 'sequential' | 'handlerMs',
  ) =>
    event === 'replace'
      ? String(round1(measures.replaceUpdate[pick] + measures.replaceCleanupDelete[pick]))
      : String(measures[event][pick]);
  return [
    '## AWS calls per lifecycle event (one key, one bucket)',
    '',
    table(
      [
        'Event',
        'Calls, by name',
        'Sequential, by name',
        'Calls, CfnBucket',
        'Sequential, CfnBucket',
        `Handler ms, by name, +${50} ms/call`,
        'Calls by level (by name)',
      ],
      rows.map(([label, event]) => [
        label,
        cell(byName, event, 'calls'),
        cell(byName, event, 'sequential'),
        cell(byBucket, event, 'calls'),
        cell(byBucket, event, 'sequential'),
        cell(byName, event, 'handlerMs'),
        event === 'replace' ? '' : describeOperations(byName[event]),
      ]),
    ),
    '',
    '"By name": the key\'s bucket is given as `bucketName` (an existing bucket); the handler then also reads the ' +
      'bucket\'s endpoint (GetBuckets). "CfnBucket": given as `bucket`. Sequential: calls on the longest chain of ' +
      "calls that each started after the previous one ended (parallel calls count once), from the fake's request " +
      `log with 50 ms added to every call. Handler ms: the handler's own \`durationMs\`, median of ` +
      `${r.latency50.repetitions} repetitions.`,
    '',
    `Lambda hops per event: ${r.lambdaHops} (${r.lambdaHopsEvidence}).`,
    '',
  ];
}

function describeOperations(measure: { operations: string; stable: boolean }): string {
  const operations = measure.operations || '(no event)';
  return measure.stable ? operations : `${operations} (first repetition; the calls varied between repetitions)`;
}

function synth(r: BenchResults): string[] {
  const s = r.synth;
  return [
    '## Synth time and template size',
    '',
    table(
      [
        'Keys',
        'CfnBuckets',
        'Ours ms',
        'Native ms',
        'Ratio',
        'Ours CPU ms',
        'Native CPU ms',
        'CPU ratio',
        'Ours bytes',
        'Native bytes',
        'Ours resources',
        'Native resources',
      ],
      s.keys.map((k, i) => [
        String(k),
        String(s.buckets[i]),
        String(s.ms[i]),
        String(s.nativeMs[i]),
        String(s.ratio[i]),
        String(s.cpuMs[i]),
        String(s.nativeCpuMs[i]),
        String(s.cpuRatio[i]),
        num(s.templateBytes[i]),
        num(s.nativeTemplateBytes[i]),
        String(s.resources[i]),
        String(s.nativeResources[i]),
      ]),
    ),
    '',
    `A fresh App per synthesis, timed from \`new App()\` to \`app.synth()\` done, after a forced garbage collection; ` +
      `${s.repetitions} back-to-back pairs per count, alternating which goes first. Native: per key an iam.User, an ` +
      'iam.AccessKey and a secretsmanager.Secret with `secretStringValue: accessKey.secretAccessKey`; both stacks ' +
      "hold the same CfnBuckets (two keys per bucket). aws-cdk-lib's 500-resource check is off so that 200 keys " +
      '(505 and 700 resources) can be measured.',
    '',
  ];
}

function templateLimits(r: BenchResults): string[] {
  const t = r.template;
  const largestKeys = r.synth.keys[r.synth.keys.length - 1];
  const managed = t.managedPolicyChars.length ? t.managedPolicyChars.map(num).join(', ') : 'none';
  return [
    '## Template and quota limits',
    '',
    table(
      ['Measure', 'Value'],
      [
        ['Template bytes per key (slope 10 → 100 keys, buckets excluded)', num(t.bytesPerKey)],
        ['Template bytes per CfnBucket', num(t.bytesPerBucket)],
        ['CloudFormation resources per key', String(t.resourcesPerKey)],
        [
          'Fixed resources per stack (handler: function, role, policy, log group; at each count)',
          t.fixedResourcesByCount.join(', '),
        ],
        [
          `Max keys per stack, buckets elsewhere (${CFN_MAX_RESOURCES} resources, ${num(CFN_MAX_TEMPLATE_BYTES)} bytes)`,
          String(t.maxKeysPerStack),
        ],
        ['Max keys per stack, with their buckets (two keys per bucket)', String(t.maxKeysPerStackWithBuckets)],
        [
          `Handler role inline policy at ${largestKeys} keys, resolved chars / IAM limit`,
          `${num(t.policyChars)} / ${num(t.policyLimit)}`,
        ],
        [
          `Managed policies split off by aws-cdk-lib at ${largestKeys} keys, chars / IAM limit`,
          `${managed} / ${num(t.managedPolicyLimit)}`,
        ],
        [
          'Max keys on CfnBuckets before the role policies exceed IAM quotas',
          t.policyLimitDetail.firstFailing
            ? `${t.maxKeysByPolicy} (${t.policyLimitDetail.maxBuckets} buckets)`
            : `none found up to ${t.maxKeysByPolicy} keys (${t.policyLimitDetail.maxBuckets} buckets, the most ` +
              'searched): past 40 buckets the statement names any bucket of the account and region instead',
        ],
      ],
    ),
    '',
    `Max keys: the largest count with ${r.template.fixedResources} fixed resources plus the per-key numbers within ` +
      "CloudFormation's quotas" +
      (t.managedPolicyChars.length
        ? ` (at ${largestKeys} keys aws-cdk-lib also splits off a managed policy, one more resource). `
        : '. ') +
      '"Buckets elsewhere" assumes a key\'s own resources are as measured with in-stack CfnBuckets (a bucket of ' +
      'another stack or given by name is referenced differently, at a similar size). Policy sizes resolve ' +
      'intrinsics with realistic values (a bucket ARN is `arn:aws:lightsail:us-east-1:123456789012:Bucket/` plus a ' +
      '36-character id) and count characters without white space, as IAM does. Keys given by `bucketName` share ' +
      'one wildcard ARN, so the policy limit does not apply to them.',
    '',
  ];
}

function throttled(r: BenchResults): string[] {
  const t = r.throttled;
  const retries = Object.entries(t.retriesByOperation)
    .map(([op, n]) => `${op} ${n}`)
    .join(', ');
  return [
    '## Many keys at once under throttling',
    '',
    table(
      [
        'Keys',
        'Buckets',
        'Lightsail rate',
        'Succeeded',
        'Stack',
        'Wall s',
        'Create phase s',
        'Retries (throttled calls)',
      ],
      [
        [
          String(t.keys),
          `${t.buckets} (by name)`,
          `${t.lightsailPerSecond}/s`,
          `${t.succeeded} of ${t.keys}`,
          t.stackStatus,
          String(round1(t.wallMs / 1000)),
          String(round1(t.createPhaseMs / 1000)),
          `${num(t.retries)} (${retries})`,
        ],
      ],
    ),
    '',
    `One deploy of one stack; the simulator invokes all ${t.keys} custom resources of the dependency wave at once, ` +
      "a worst case: CloudFormation's own concurrency is lower and not published. The admitted Lightsail calls of the " +
      `create phase need at least ${round1(t.createPhaseFloorMs / 1000)} s at this rate. Lambda timeout: the template's ` +
      `${t.lambdaTimeoutMs / 1000} s. Wall time includes the rollback when there is one.` +
      (t.failed ? ` ${t.failed} creations failed: ${t.failures.join(' | ')}` : ''),
    '',
  ];
}

function table(headers: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

function num(value: number): string {
  return value.toLocaleString('en-US');
}

function ratio(a: number, b: number): number {
  return Math.round((a / b) * 1000) / 1000;
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
