/**
 * cdk-nag's AwsSolutions and NIST 800-53 R5 packs, in both versions users run: cdk-nag 3 as aws-cdk-lib's policy
 * validation plugin, and cdk-nag 2 as an aspect (`Aspects.of(app).add(new AwsSolutionsChecks())`). They run on the
 * README's example stack (with and without the recommended feature flags), on it with a key without rotation, on a
 * key of a bucket given by name, on a key shared with other accounts, and on keys whose handlers run in a VPC: no
 * finding may be left on this library's constructs. Findings by design are acknowledged in the library itself
 * (lib/acknowledgements.ts), each with its reason, in the form each version reads; the example's own consumer
 * role is not ours to judge.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Aspects, CfnResource, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lightsail from 'aws-cdk-lib/aws-lightsail';
import { CURRENTLY_RECOMMENDED_FLAGS } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks, NIST80053R5Checks } from 'cdk-nag';
import * as nag2 from 'cdk-nag-v2';
import type { IConstruct } from 'constructs';
import { BucketAccessKey, type BucketAccessKeyProps } from '../../lib';
import { MediaStack } from '../../bin/media-stack';

interface Finding {
  readonly rule: string;
  readonly path: string;
}

type NagVersion = 'cdk-nag 3' | 'cdk-nag 2';
const VERSIONS: NagVersion[] = ['cdk-nag 3', 'cdk-nag 2'];

/** Synthesizes the app with both packs of one cdk-nag version and returns every finding, as `rule` at `path/`. */
function nagFindings(app: App, outdir: string, version: NagVersion): Finding[] {
  return version === 'cdk-nag 3' ? nag3Findings(app, outdir) : nag2Findings(app);
}

/** cdk-nag 3: a policy validation plugin; its findings are in the validation report. */
function nag3Findings(app: App, outdir: string): Finding[] {
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
      v.violatingConstructs.map((c: any) => ({ rule: v.ruleName, path: `${c.constructPath}/` })),
    ),
  );
}

/** cdk-nag 2: aspects; its findings are error and warning annotations on the resources. */
function nag2Findings(app: App): Finding[] {
  Aspects.of(app).add(new nag2.AwsSolutionsChecks({ reports: false }));
  Aspects.of(app).add(new nag2.NIST80053R5Checks({ reports: false }));
  try {
    app.synth();
  } catch (error) {
    // aws-cdk-lib fails synthesis on error annotations (the example's consumer has some), after the aspects ran.
    if (!/Validation ?failed/i.test(String(error))) throw error;
  }
  return app.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === 'aws:cdk:error' || m.type === 'aws:cdk:warning')
      .map((m) => String(m.data))
      .filter((message) => /^(AwsSolutions|NIST\.800\.53\.R5)-/.test(message))
      .map((message) => ({ rule: message.split(': ')[0], path: `${c.node.path}/` })),
  );
}

/** Paths of this library's constructs: the keys and the stack's shared handlers. */
function ourPaths(stack: Stack): string[] {
  return ours(stack).map((c) => `${c.node.path}/`);
}

function ours(stack: Stack): IConstruct[] {
  return stack.node
    .findAll()
    .filter((c) => BucketAccessKey.isBucketAccessKey(c) || c.node.id === 'LightsailBucketAccessKeyProvider');
}

function onOurs(findings: Finding[], stack: Stack): Finding[] {
  const paths = ourPaths(stack);
  return findings.filter((f) => paths.some((p) => f.path.startsWith(p)));
}

function newApp(context?: Record<string, unknown>): { app: App; outdir: string } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'nag-'));
  return { app: new App({ outdir, context }), outdir };
}

function envStack(app: App, id: string): Stack {
  return new Stack(app, id, { env: { account: '111111111111', region: 'eu-west-1' } });
}

/** A stack with a VPC, a rotating key with a grace period and one without rotation, their handlers in the VPC. */
function vpcStack(app: App, securityGroups: boolean): Stack {
  const stack = envStack(app, 'InVpc');
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
  const network: Partial<BucketAccessKeyProps> = {
    vpc,
    ...(securityGroups && { securityGroups: [new ec2.SecurityGroup(stack, 'Handlers', { vpc })] }),
  };
  const encryptionKey = new kms.Key(stack, 'Cmk', { enableKeyRotation: true });
  const bucket = new lightsail.CfnBucket(stack, 'Bucket', { bucketName: 'vpc-assets', bundleId: 'small_1_0' });
  new BucketAccessKey(stack, 'Rotating', {
    bucket,
    encryptionKey,
    rotation: { automaticallyAfter: Duration.days(30), gracePeriod: Duration.days(1) },
    ...network,
  });
  new BucketAccessKey(stack, 'Plain', { bucketName: 'existing-bucket', encryptionKey, ...network });
  return stack;
}

/** Every cdk-nag 2 suppression our constructs wrote, with where it is. */
function nag2Suppressions(stack: Stack): Array<{ path: string; type: string; suppression: any }> {
  return stack.node
    .findAll()
    .filter(CfnResource.isCfnResource)
    .flatMap((r) =>
      ((r.getMetadata('cdk_nag')?.rules_to_suppress ?? []) as any[]).map((suppression) => ({
        path: r.node.path,
        type: r.cfnResourceType,
        suppression,
      })),
    );
}

/** Every cdk-nag 3 acknowledgement, as { ruleId: reason } on the construct it was made on. */
function acknowledged(c: IConstruct): Array<[string, string]> {
  return c.node.metadata
    .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
    .flatMap((m) => Object.entries(m.data as Record<string, string>));
}

describe.each(VERSIONS)('%s', (version) => {
  // The example app as `cdk synth` makes it (its cdk.json sets the recommended feature flags), and without them.
  test.each([
    ['with the recommended feature flags', CURRENTLY_RECOMMENDED_FLAGS],
    ['without feature flags', undefined],
  ])('the example stack %s: no finding on our constructs; the packs did run', (_, context) => {
    const { app, outdir } = newApp(context);
    const stack = new MediaStack(app, 'Example');
    const findings = nagFindings(app, outdir, version);

    expect(onOurs(findings, stack)).toEqual([]);
    // The example's consumer role is the user's own: the packs report on it.
    expect(findings.some((f) => f.path.startsWith('Example/Uploader/'))).toBe(true);
  });

  test('the example stack with a key without rotation: no finding on our constructs', () => {
    const { app, outdir } = newApp();
    const stack = new MediaStack(app, 'Example');
    new BucketAccessKey(stack, 'Plain', {
      bucketName: 'other-bucket',
      encryptionKey: stack.node.findChild('SecretsKey') as kms.Key,
    });
    expect(onOurs(nagFindings(app, outdir, version), stack)).toEqual([]);
  });

  test('a key of a bucket given by name: the wildcard bucket ARN is acknowledged with its reason', () => {
    const { app, outdir } = newApp();
    const stack = envStack(app, 'ByName');
    new BucketAccessKey(stack, 'Key', {
      bucketName: 'existing-bucket',
      encryptionKey: new kms.Key(stack, 'Cmk', { enableKeyRotation: true }),
    });
    expect(onOurs(nagFindings(app, outdir, version), stack)).toEqual([]);
  });

  test("a key read from other accounts: its secret's resource policy draws no finding", () => {
    const { app, outdir } = newApp();
    const stack = envStack(app, 'Shared');
    const bucket = new lightsail.CfnBucket(stack, 'Bucket', { bucketName: 'shared-assets', bundleId: 'small_1_0' });
    const key = new BucketAccessKey(stack, 'Key', {
      bucket,
      encryptionKey: new kms.Key(stack, 'Cmk', { enableKeyRotation: true }),
    });
    key.grantRead(new iam.AccountPrincipal('222222222222'));
    key.secret.grantRead(new iam.OrganizationPrincipal('o-abcdefghij'));
    const findings = nagFindings(app, outdir, version);

    expect(stack.node.tryFindChild('Key')?.node.tryFindChild('Secret')?.node.tryFindChild('Policy')).toBeDefined();
    expect(onOurs(findings, stack)).toEqual([]);
  });

  test.each([
    ['security groups of their own', false],
    ['security groups given', true],
  ])('handlers in a VPC, with %s: no finding on our constructs', (_, securityGroups) => {
    const { app, outdir } = newApp();
    const stack = vpcStack(app, securityGroups);
    expect(onOurs(nagFindings(app, outdir, version), stack)).toEqual([]);
  });

  test("a key on Secrets Manager's AWS managed key: the one finding left is the user's choice of key", () => {
    const { app, outdir } = newApp();
    const stack = envStack(app, 'ManagedKey');
    new BucketAccessKey(stack, 'Key', { bucketName: 'existing-bucket' });
    expect(onOurs(nagFindings(app, outdir, version), stack)).toEqual([
      { rule: 'NIST.800.53.R5-SecretsManagerUsingKMSKey', path: 'ManagedKey/Key/Secret/Resource/' },
    ]);
  });
});

test('without their cdk-nag 2 suppressions, our resources draw the findings they acknowledge: the check can fail', () => {
  const { app } = newApp();
  const stack = new MediaStack(app, 'Example');
  new BucketAccessKey(stack, 'Plain', {
    bucketName: 'other-bucket',
    encryptionKey: stack.node.findChild('SecretsKey') as kms.Key,
  });
  for (const c of ours(stack).flatMap((o) => o.node.findAll())) {
    if (CfnResource.isCfnResource(c)) delete (c.cfnOptions.metadata as Record<string, unknown> | undefined)?.cdk_nag;
  }
  const rules = onOurs(nag2Findings(app), stack).map((f) => `${f.rule} ${f.path}`);

  // AwsSolutions' nine (SMG4 on the key secret without rotation, IAM5 four times on each handler's policy), and
  // NIST's rules on each handler, policy, log group and secret.
  expect(rules.filter((r) => r.startsWith('AwsSolutions-'))).toHaveLength(9);
  expect(rules).toEqual(
    expect.arrayContaining([
      'AwsSolutions-SMG4 Example/Plain/Secret/Resource/',
      'AwsSolutions-IAM5[Resource::*] Example/LightsailBucketAccessKeyProvider/Role/DefaultPolicy/Resource/',
      'AwsSolutions-IAM5[Resource::*] Example/LightsailBucketAccessKeyProvider/RotationRole/DefaultPolicy/Resource/',
      'NIST.800.53.R5-LambdaInsideVPC Example/LightsailBucketAccessKeyProvider/Handler/Resource/',
      'NIST.800.53.R5-CloudWatchLogGroupEncrypted Example/LightsailBucketAccessKeyProvider/LogGroup/Resource/',
    ]),
  );
});

describe('every acknowledgement sits on our own constructs and says why', () => {
  test.each([
    ['the example stack', (app: App) => new MediaStack(app, 'Example')],
    ['handlers in a VPC', (app: App) => vpcStack(app, false)],
  ])('%s', (_, build) => {
    const { app } = newApp();
    const stack = build(app);
    const inVpc = stack.node.tryFindChild('Vpc') !== undefined;

    // cdk-nag 3: on the shared handlers, and on each key without rotation.
    const withAcknowledgements = ours(stack)
      .flatMap((o) => o.node.findAll())
      .filter((c) => acknowledged(c).length > 0);
    expect(withAcknowledgements.map((c) => c.node.path)).toEqual([
      `${stack.stackName}/LightsailBucketAccessKeyProvider`,
      ...(inVpc ? [`${stack.stackName}/Plain`] : []),
    ]);
    const rules3 = withAcknowledgements.flatMap((c) => acknowledged(c));
    for (const [rule, reason] of rules3) {
      expect(rule).toMatch(/^(AwsSolutions|NIST\.800\.53\.R5)::/);
      expect(reason.length).toBeGreaterThan(60);
    }

    // cdk-nag 2: on our CloudFormation resources only, the same rules with the same reasons.
    const suppressions = nag2Suppressions(stack);
    const paths = ourPaths(stack);
    expect(suppressions.length).toBeGreaterThan(0);
    for (const { path: where, suppression } of suppressions) {
      expect(paths.some((p) => `${where}/`.startsWith(p))).toBe(true);
      expect(suppression.id).toMatch(/^(AwsSolutions|NIST\.800\.53\.R5)-\w+$/);
      const v3 = `${suppression.id.startsWith('NIST') ? 'NIST.800.53.R5' : 'AwsSolutions'}::${suppression.id}${
        suppression.applies_to ? `[${suppression.applies_to[0]}]` : ''
      }`;
      expect(rules3).toContainEqual([v3, suppression.reason]);
    }

    // In a VPC, nothing says the handlers run outside one.
    const insideVpc = 'NIST.800.53.R5::NIST.800.53.R5-LambdaInsideVPC';
    expect(rules3.some(([rule]) => rule === insideVpc)).toBe(!inVpc);
    expect(suppressions.some(({ suppression }) => suppression.id === 'NIST.800.53.R5-LambdaInsideVPC')).toBe(!inVpc);
  });
});
