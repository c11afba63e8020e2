/**
 * The comparison `npm run test:languages` makes between the TypeScript example's template and another language's:
 * it must fail on any real difference, and pass only the differences a language explains, exactly as explained.
 */
import { App } from 'aws-cdk-lib';
import { Template as Assertions } from 'aws-cdk-lib/assertions';
import { MediaStack } from '../../bin/media-stack';
import { EXPLAINED, ExplainedDifference, Template, compareTemplates, summarise } from './templates';

const typescript: Template = Assertions.fromStack(
  new MediaStack(new App(), 'LightsailBucketAccessKeyExample'),
).toJSON();
const copy = (): Template => structuredClone(typescript);
const idOf = (type: string, prefix = '') =>
  Object.keys(typescript.Resources).find((id) => id.startsWith(prefix) && typescript.Resources[id].Type === type)!;
const uploader = idOf('AWS::IAM::Role', 'Uploader');
const failed = (other: Template, language = 'java') => {
  const comparison = compareTemplates(typescript, other, EXPLAINED[language]);
  return [...comparison.unexplained.map((d) => d.path), ...comparison.unused.map((e) => `unused ${e.path}`)];
};

test('the same template is equal, and the comparison sees every resource', () => {
  expect(Object.keys(typescript.Resources).length).toBeGreaterThan(15);
  expect(failed(copy())).toEqual([]);
  expect(summarise(compareTemplates(typescript, copy()))).toBe("template equal to TypeScript's");
});

test('construct paths and the version reporting resource are not compared', () => {
  const other = copy();
  for (const resource of Object.values<any>(other.Resources)) {
    resource.Metadata = { ...resource.Metadata, 'aws:cdk:path': `Elsewhere/${resource.Type}` };
  }
  other.Resources.CDKMetadata = { Type: 'AWS::CDK::Metadata', Properties: { Analytics: 'v2:deflate64:python' } };
  expect(failed(other)).toEqual([]);
});

test('a changed property fails the comparison, by its path', () => {
  const other = copy();
  const kmsKey = idOf('AWS::KMS::Key');
  other.Resources[kmsKey].Properties.EnableKeyRotation = false;
  expect(failed(other)).toEqual([`Resources.${kmsKey}.Properties.EnableKeyRotation`]);
  expect(summarise(compareTemplates(typescript, other))).toMatch(
    /^template DIFFERS from TypeScript's: .*EnableKeyRotation/,
  );
});

test("a different asset (another handler bundle's hash) fails the comparison", () => {
  const other = copy();
  const handler = idOf('AWS::Lambda::Function', 'LightsailBucketAccessKeyProviderHandler');
  const code = other.Resources[handler].Properties.Code;
  code.S3Key = code.S3Key.replace(/^[0-9a-f]{8}/, '00000000');
  expect(failed(other)).toEqual([`Resources.${handler}.Properties.Code.S3Key`]);
});

test('a resource more or less, or a different output, fails the comparison', () => {
  const more = copy();
  more.Resources.Extra = { Type: 'AWS::SNS::Topic' };
  expect(failed(more)).toEqual(['Resources.Extra']);
  const less = copy();
  delete less.Resources[uploader];
  expect(failed(less)).toEqual([`Resources.${uploader}`]);
  const output = copy();
  output.Outputs.AccessKeyId.Value = 'AKIA...';
  expect(failed(output)).toEqual(['Outputs.AccessKeyId.Value']);
});

describe('an explained difference', () => {
  // A language that wrote the KMS key's EnableKeyRotation as the string "true" would make this difference.
  const kmsKey = idOf('AWS::KMS::Key');
  const asString: ExplainedDifference = {
    path: /^Resources\.SecretsKey[0-9A-F]{8}\.Properties\.EnableKeyRotation$/,
    reason: 'the language writes the boolean as a string',
    isThisOne: (typescript, other) => typescript === true && other === 'true',
  };
  const rotation = (value: unknown) => {
    const other = copy();
    other.Resources[kmsKey].Properties.EnableKeyRotation = value;
    return other;
  };

  test('is explained exactly where and as explained, for the language that explains it only', () => {
    const comparison = compareTemplates(typescript, rotation('true'), [asString]);
    expect(comparison.unexplained).toEqual([]);
    expect(comparison.explained.map((d) => d.path)).toEqual([`Resources.${kmsKey}.Properties.EnableKeyRotation`]);
    expect(summarise(comparison)).toMatch(/but for 1 explained difference\(s\): .*as a string/);
    expect(failed(rotation('true'), 'go')).toEqual([`Resources.${kmsKey}.Properties.EnableKeyRotation`]);
  });

  test('another value at that path is not explained', () => {
    const comparison = compareTemplates(typescript, rotation('yes'), [asString]);
    expect(comparison.unexplained.map((d) => d.path)).toEqual([`Resources.${kmsKey}.Properties.EnableKeyRotation`]);
    expect(comparison.unused).toEqual([asString]);
  });

  test('an explanation whose difference did not occur fails the comparison', () => {
    const comparison = compareTemplates(typescript, copy(), [asString]);
    expect(comparison.unused).toEqual([asString]);
    expect(summarise(comparison)).toMatch(/did not occur: remove its explanation/);
  });
});
