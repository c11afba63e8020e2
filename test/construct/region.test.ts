/**
 * A stack whose region Lightsail does not list gets a synth-time warning, once, that the user can acknowledge:
 * Lightsail buckets and their keys exist only in Lightsail's regions, and AWS adds regions.
 */
import { App, Annotations as CoreAnnotations, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { BucketAccessKey } from '../../lib';

const REGION_WARNING = 'cdk-lightsail-bucket-access-key:regionWithoutLightsail';

function newStack(region?: string, app = new App(), id = 'TestStack'): Stack {
  return new Stack(app, id, region ? { env: { account: '123456789012', region } } : undefined);
}

describe('a region where Lightsail has no buckets', () => {
  test('warns once per stack, however many keys, naming the region and the regions Lightsail lists', () => {
    const stack = newStack('af-south-1');
    new BucketAccessKey(stack, 'One', { bucketName: 'media-assets' });
    new BucketAccessKey(stack, 'Two', { bucketName: 'other-assets' });
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp(REGION_WARNING));
    expect(warnings).toHaveLength(1);
    expect(warnings[0].id).toBe('/TestStack/LightsailBucketAccessKeyProvider');
    expect(warnings[0].entry.data).toMatch(
      /^Lightsail does not list region af-south-1 \(its API names us-east-1, .*eu-west-1, .*ap-southeast-2, .*\): .* Deploy the stack to the region of its buckets or, if Lightsail has added af-south-1 since, acknowledge this warning\. \[ack: cdk-lightsail-bucket-access-key:regionWithoutLightsail\]$/,
    );
  });

  test('each such stack of the app gets its own warning', () => {
    const app = new App();
    for (const id of ['First', 'Second']) {
      new BucketAccessKey(newStack('me-central-1', app, id), 'Key', { bucketName: `${id.toLowerCase()}-assets` });
    }
    for (const id of ['First', 'Second']) {
      const stack = app.node.findChild(id) as Stack;
      expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp(REGION_WARNING))).toHaveLength(1);
    }
  });

  test('the warning can be acknowledged by its id', () => {
    const stack = newStack('af-south-1');
    new BucketAccessKey(stack, 'Key', { bucketName: 'media-assets' });
    CoreAnnotations.of(stack).acknowledgeWarning(REGION_WARNING, 'Lightsail offers buckets there now');
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp(REGION_WARNING));
  });

  test.each(['eu-west-1', 'us-east-1', 'ap-southeast-2'])('a Lightsail region (%s) gets no warning', (region) => {
    const stack = newStack(region);
    new BucketAccessKey(stack, 'Key', { bucketName: 'media-assets' });
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });

  test('an environment-agnostic stack gets no warning: its region is known only at deploy time', () => {
    const stack = newStack();
    new BucketAccessKey(stack, 'Key', { bucketName: 'media-assets' });
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });
});
