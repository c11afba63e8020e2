/**
 * The TypeScript snippets of docs/vpc.md and docs/stacksets.md run as they are shown: each synthesizes, and does what
 * its document says.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { runReadmeSnippet } from '../support/readme-snippet';

test('docs/vpc.md: the handler runs in private subnets, beside the endpoints the README names', () => {
  const { stack } = runReadmeSnippet('vpc', { env: { account: '111111111111', region: 'eu-west-1' } }, 'docs/vpc.md');
  const template = Template.fromStack(stack);

  const fn: any = Object.values(template.findResources('AWS::Lambda::Function'))[0];
  const privateSubnets = Object.entries(template.findResources('AWS::EC2::Subnet'))
    .filter(([, s]: [string, any]) =>
      s.Properties.Tags.some((t: any) => t.Key === 'aws-cdk:subnet-type' && t.Value === 'Private'),
    )
    .map(([id]) => ({ Ref: id }));
  expect(privateSubnets).toHaveLength(2);
  expect(fn.Properties.VpcConfig.SubnetIds).toEqual(privateSubnets);
  template.resourceCountIs('AWS::EC2::NatGateway', 1);
  const endpoints = Object.values<any>(template.findResources('AWS::EC2::VPCEndpoint')).map((e) => [
    e.Properties.VpcEndpointType,
    JSON.stringify(e.Properties.ServiceName),
  ]);
  expect(endpoints).toEqual([
    ['Interface', '"com.amazonaws.eu-west-1.secretsmanager"'],
    ['Gateway', expect.stringContaining('.s3')],
  ]);
});

test("docs/stacksets.md: every target region's asset bucket gets the handlers, and each instance names its own secrets", () => {
  const { app, stack } = runReadmeSnippet(
    'stacksets',
    { env: { account: '999999999999', region: 'eu-west-1' } },
    'docs/stacksets.md',
  );
  const assembly = app.synth();
  const instance = stack.node.findChild('MediaKeys') as Stack;
  const template = JSON.parse(fs.readFileSync(path.join(assembly.directory, (instance as any).templateFile), 'utf8'));
  const resources = Object.values<any>(template.Resources);

  // Each handler's code is read from the asset bucket of the region the instance is deployed to.
  const code = resources.filter((r) => r.Type === 'AWS::Lambda::Function').map((r) => r.Properties.Code);
  expect(code).toHaveLength(1);
  expect(code[0].S3Bucket).toEqual({ 'Fn::Join': ['-', ['media-stackset-assets', { Ref: 'AWS::Region' }]] });
  // The parent stack copies the bundle into every region's bucket.
  const copies = Object.values<any>(Template.fromStack(stack).findResources('Custom::CDKBucketDeployment'));
  expect(copies.map((c) => c.Properties.DestinationBucketName).sort()).toEqual([
    'media-stackset-assets-eu-west-1',
    'media-stackset-assets-us-east-1',
  ]);
  for (const copy of copies) expect(copy.Properties.SourceObjectKeys).toContain(code[0].S3Key);

  // Secret names and the handlers' permissions: the instance's own stack name and id, nothing synthesized.
  const secret = resources.find((r) => r.Type === 'AWS::SecretsManager::Secret');
  const name = JSON.stringify(secret.Properties.Name);
  expect(name).toContain('{"Ref":"AWS::StackName"}');
  expect(name).toContain('{"Ref":"AWS::StackId"}');
  const policy = JSON.stringify(resources.find((r) => r.Type === 'AWS::IAM::Policy').Properties);
  expect(policy).toContain('{"Ref":"AWS::StackName"}');
  expect(`${name} ${policy}`).not.toMatch(/MediaKeys|Snippet/);
  // Nothing of the parent's account or region: the instance takes its own.
  expect(JSON.stringify(template)).not.toMatch(/999999999999|eu-west-1/);
});
