/** The acknowledgement table in cdk-nag 2's form (lib/acknowledgements.ts), on its own. */
import { Buffer } from 'node:buffer';
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { type Acknowledgement, cdkNag2Suppression, suppressForCdkNag2 } from '../../lib/acknowledgements';

const ack = (rule: string, reason = 'A reason long enough for cdk-nag.', on = 'AWS::IAM::Policy'): Acknowledgement => ({
  rule,
  reason,
  on,
});

describe('cdkNag2Suppression', () => {
  test.each([
    ['AwsSolutions::AwsSolutions-SMG4', { id: 'AwsSolutions-SMG4' }],
    ['NIST.800.53.R5::NIST.800.53.R5-LambdaDLQ', { id: 'NIST.800.53.R5-LambdaDLQ' }],
    ['AwsSolutions::AwsSolutions-IAM5[Resource::*]', { id: 'AwsSolutions-IAM5', applies_to: ['Resource::*'] }],
    [
      'AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:lightsail:<AWS::Region>:<AWS::AccountId>:Bucket/*]',
      {
        id: 'AwsSolutions-IAM5',
        applies_to: ['Resource::arn:<AWS::Partition>:lightsail:<AWS::Region>:<AWS::AccountId>:Bucket/*'],
      },
    ],
  ])('%s: the id without its pack, a finding in applies_to', (rule, expected) => {
    expect(cdkNag2Suppression(ack(rule))).toEqual({ ...expected, reason: 'A reason long enough for cdk-nag.' });
  });

  test('a reason beyond Latin-1 is base64-encoded, as cdk-nag 2 decodes it', () => {
    const reason = 'Rotation is off – replaced by bumping `serial`.';
    const suppression = cdkNag2Suppression(ack('AwsSolutions::AwsSolutions-SMG4', reason));
    expect(suppression.is_reason_encoded).toBe(true);
    expect(Buffer.from(suppression.reason, 'base64').toString()).toBe(reason);
  });

  test('an id that is not <pack>::<rule> is refused', () => {
    expect(() => cdkNag2Suppression(ack('AwsSolutions-SMG4'))).toThrow(/not a cdk-nag rule id/);
  });
});

describe('suppressForCdkNag2', () => {
  function resources() {
    const stack = new Stack(new App(), 'S');
    const policy = new CfnResource(stack, 'Policy', { type: 'AWS::IAM::Policy' });
    const fn = new CfnResource(stack, 'Fn', { type: 'AWS::Lambda::Function' });
    return { stack, policy, fn };
  }

  test("writes each suppression onto the resources of its rule's type, once, beside a user's own", () => {
    const { stack, policy, fn } = resources();
    const own = { reason: 'The user suppressed this one themselves.', id: 'AwsSolutions-IAM4' };
    policy.addMetadata('cdk_nag', { rules_to_suppress: [own] });
    const acknowledgements = [
      ack('AwsSolutions::AwsSolutions-IAM5[Resource::*]'),
      ack(
        'NIST.800.53.R5::NIST.800.53.R5-LambdaDLQ',
        'Nothing to redrive: every event is answered.',
        fn.cfnResourceType,
      ),
    ];
    suppressForCdkNag2(stack, acknowledgements);
    suppressForCdkNag2(stack, acknowledgements);

    expect(policy.getMetadata('cdk_nag').rules_to_suppress).toEqual([
      own,
      { id: 'AwsSolutions-IAM5', reason: 'A reason long enough for cdk-nag.', applies_to: ['Resource::*'] },
    ]);
    expect(fn.getMetadata('cdk_nag').rules_to_suppress).toEqual([
      { id: 'NIST.800.53.R5-LambdaDLQ', reason: 'Nothing to redrive: every event is answered.' },
    ]);
  });

  test('a resource of no acknowledged type is left alone', () => {
    const { stack, fn } = resources();
    suppressForCdkNag2(stack, [ack('AwsSolutions::AwsSolutions-SMG4', 'x'.repeat(20), 'AWS::SecretsManager::Secret')]);
    expect(fn.getMetadata('cdk_nag')).toBeUndefined();
  });
});
