/**
 * What a key secret records for S3 clients (lambda/shared/s3-location.ts): the regional S3 service endpoint, and the
 * bucket's own URL, from the URL Lightsail reports for the bucket.
 */
import { keyRecord, s3Location } from '../../lambda/shared/s3-location';

describe('s3Location', () => {
  test.each([
    [
      "Lightsail's shape, virtual-hosted",
      'https://media-assets.s3.eu-west-1.amazonaws.com/',
      'https://s3.eu-west-1.amazonaws.com',
      'https://media-assets.s3.eu-west-1.amazonaws.com/',
    ],
    [
      'without the trailing slash',
      'https://media-assets.s3.us-east-1.amazonaws.com',
      'https://s3.us-east-1.amazonaws.com',
      'https://media-assets.s3.us-east-1.amazonaws.com',
    ],
    [
      'another region than the handler runs in: the URL says where the bucket is',
      'https://media-assets.s3.ap-southeast-2.amazonaws.com/',
      'https://s3.ap-southeast-2.amazonaws.com',
      'https://media-assets.s3.ap-southeast-2.amazonaws.com/',
    ],
    [
      'the legacy dash form',
      'https://media-assets.s3-eu-west-1.amazonaws.com/',
      'https://s3-eu-west-1.amazonaws.com',
      'https://media-assets.s3-eu-west-1.amazonaws.com/',
    ],
    [
      'path style: the bucket URL stays as reported',
      'https://s3.eu-west-1.amazonaws.com/media-assets/',
      'https://s3.eu-west-1.amazonaws.com',
      'https://s3.eu-west-1.amazonaws.com/media-assets/',
    ],
    [
      'a service endpoint without a path (an earlier record passed on): the bucket URL is made from it',
      'https://s3.eu-west-1.amazonaws.com',
      'https://s3.eu-west-1.amazonaws.com',
      'https://media-assets.s3.eu-west-1.amazonaws.com/',
    ],
    [
      'the global endpoint names no region: the region decides',
      'https://media-assets.s3.amazonaws.com/',
      'https://s3.eu-west-1.amazonaws.com',
      'https://media-assets.s3.amazonaws.com/',
    ],
    [
      'a dual-stack host: the region decides',
      'https://media-assets.s3.dualstack.eu-west-1.amazonaws.com/',
      'https://s3.eu-west-1.amazonaws.com',
      'https://media-assets.s3.dualstack.eu-west-1.amazonaws.com/',
    ],
    [
      'a host of another bucket: the region decides',
      'https://other-bucket.s3.us-east-1.amazonaws.com/',
      'https://s3.eu-west-1.amazonaws.com',
      'https://other-bucket.s3.us-east-1.amazonaws.com/',
    ],
    [
      'any other host',
      'https://example.com/media/',
      'https://s3.eu-west-1.amazonaws.com',
      'https://example.com/media/',
    ],
    ['not a URL', 'media-assets', 'https://s3.eu-west-1.amazonaws.com', 'media-assets'],
  ])('%s', (_, reported, endpoint, bucketUrl) => {
    expect(s3Location(reported, 'media-assets', 'eu-west-1')).toEqual({ endpoint, bucketUrl });
  });
});

test('keyRecord: the key, its bucket and region, and both URLs', () => {
  const key = { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
  expect(keyRecord(key, 'media-assets', 'eu-west-1', 'https://media-assets.s3.eu-west-1.amazonaws.com/')).toEqual({
    accessKeyId: 'AKIAEXAMPLE',
    secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    bucketName: 'media-assets',
    region: 'eu-west-1',
    endpoint: 'https://s3.eu-west-1.amazonaws.com',
    bucketUrl: 'https://media-assets.s3.eu-west-1.amazonaws.com/',
  });
});
