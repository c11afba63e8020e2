/**
 * The README's TypeScript snippets beyond the usage example run as they are shown (jsii-rosetta only compiles
 * them): each synthesizes, and does what the README says.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { runReadmeSnippet } from '../support/readme-snippet';

test('Running the handlers in a VPC: the handler runs in private subnets, beside the endpoints the README names', () => {
  const { stack } = runReadmeSnippet('vpc', { env: { account: '111111111111', region: 'eu-west-1' } });
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
