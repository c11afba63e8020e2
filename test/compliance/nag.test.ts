/**
 * cdk-nag's AwsSolutions and NIST 800-53 R5 packs on the example stack (with and without the recommended feature
 * flags), on a key of a bucket given by name, and on a key shared with other accounts: no finding may be left on
 * this library's constructs. Findings by design are acknowledged in the library itself
 * (lib/acknowledgements.ts), each with its reason; the example's own consumer function is not ours to judge.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lightsail from 'aws-cdk-lib/aws-lightsail';
import { CURRENTLY_RECOMMENDED_FLAGS } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks, NIST80053R5Checks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { BucketAccessKey } from '../../lib';
import { MediaStack } from '../../bin/media-stack';

interface Violation {
  readonly rule: string;
  readonly path: string;
}

/** Synthesizes the app with both packs and returns every violation of the validation report. */
function nagViolations(app: App, outdir: string): Violation[] {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new NIST80053R5Checks(app));
  const reportFile = path.join(outdir, 'validation-report.json');
  try {
    app.synth();
  } catch (error) {
    // Synthesis stops on any violation (the example's consumer has some); the report says where.
    if (!fs.existsSync(reportFile)) throw error;
  }
  const report = JSON.parse(fs.readFileSync(reportFile, 'utf8'));
  return report.pluginReports.flatMap((plugin: any) =>
    plugin.violations.flatMap((v: any) =>
      v.violatingConstructs.map((c: any) => ({ rule: v.ruleName, path: c.constructPath })),
    ),
  );
}

/** Paths of this library's constructs: the keys and the stack's shared handler. */
function ourPaths(stack: Stack): string[] {
  return stack.node
    .findAll()
    .filter((c) => BucketAccessKey.isBucketAccessKey(c) || c.node.id === 'LightsailBucketAccessKeyProvider')
    .map((c) => `${c.node.path}/`);
}

function newApp(context?: Record<string, unknown>): { app: App; outdir: string } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'nag-'));
  return { app: new App({ outdir, context }), outdir };
}

// The example app as `cdk synth` makes it (its cdk.json sets the recommended feature flags), and without them.
test.each([
  ['with the recommended feature flags', CURRENTLY_RECOMMENDED_FLAGS],
  ['without feature flags', undefined],
])('the example stack %s: no finding on our constructs; the packs did run', (_, context) => {
  const { app, outdir } = newApp(context);
  const stack = new MediaStack(app, 'Example');
  const violations = nagViolations(app, outdir);

  const ours = ourPaths(stack);
  expect(violations.filter((v) => ours.some((p) => v.path.startsWith(p)))).toEqual([]);
  // The example's consumer function is an ordinary Lambda function: the packs report on it.
  expect(violations.some((v) => v.path.startsWith('Example/Uploader/'))).toBe(true);
});

test('a key of a bucket given by name: the wildcard bucket ARN is acknowledged with its reason', () => {
  const { app, outdir } = newApp();
  const stack = new Stack(app, 'ByName', { env: { account: '123456789012', region: 'eu-west-1' } });
  new BucketAccessKey(stack, 'Key', {
    bucketName: 'existing-bucket',
    encryptionKey: new kms.Key(stack, 'Cmk', { enableKeyRotation: true }),
  });
  const violations = nagViolations(app, outdir);

  const ours = ourPaths(stack);
  expect(violations.filter((v) => ours.some((p) => v.path.startsWith(p)))).toEqual([]);
});

test("a key read from other accounts: its secret's resource policy draws no finding", () => {
  const { app, outdir } = newApp();
  const stack = new Stack(app, 'Shared', { env: { account: '111111111111', region: 'eu-west-1' } });
  const bucket = new lightsail.CfnBucket(stack, 'Bucket', { bucketName: 'shared-assets', bundleId: 'small_1_0' });
  const key = new BucketAccessKey(stack, 'Key', {
    bucket,
    encryptionKey: new kms.Key(stack, 'Cmk', { enableKeyRotation: true }),
  });
  key.grantRead(new iam.AccountPrincipal('222222222222'));
  key.secret.grantRead(new iam.OrganizationPrincipal('o-abcdefghij'));
  const violations = nagViolations(app, outdir);

  expect(stack.node.tryFindChild('Key')?.node.tryFindChild('Secret')?.node.tryFindChild('Policy')).toBeDefined();
  const ours = ourPaths(stack);
  expect(violations.filter((v) => ours.some((p) => v.path.startsWith(p)))).toEqual([]);
});

test('every acknowledgement sits on our own constructs and says why', () => {
  const { app } = newApp();
  const stack = new MediaStack(app, 'Example');
  // Each acknowledgement is recorded as { ruleId: reason } on the construct it was made on.
  const acknowledged = (c: IConstruct): Array<[string, string]> =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.entries(m.data as Record<string, string>));
  const withAcknowledgements = stack.node.findAll().filter((c) => acknowledged(c).length > 0);

  // The example's key rotates, so only the shared handlers carry acknowledgements.
  expect(withAcknowledgements.map((c) => c.node.path)).toEqual(['Example/LightsailBucketAccessKeyProvider']);
  for (const c of withAcknowledgements) {
    for (const [rule, reason] of acknowledged(c)) {
      expect(rule).toMatch(/^(AwsSolutions|NIST\.800\.53\.R5)::/);
      expect(reason.length).toBeGreaterThan(60);
    }
  }
});
