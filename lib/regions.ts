/**
 * The regions the Lightsail API names: its `RegionName` enum (API version 2016-11-28, as `@aws-sdk/client-lightsail`
 * 3.1169 carries it; a test compares the two). Lightsail buckets and their keys exist only there. AWS adds
 * regions, so a stack elsewhere gets a warning, not an error.
 */
export const LIGHTSAIL_REGIONS: readonly string[] = [
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'ca-central-1',
  'sa-east-1',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'eu-central-1',
  'eu-north-1',
  'eu-south-2',
  'ap-south-1',
  'ap-east-1',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'ap-southeast-5',
];
