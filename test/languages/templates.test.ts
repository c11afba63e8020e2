/**
 * The comparison `npm run test:languages` makes between the TypeScript example's template and another language's:
 * it must fail on any real difference, and pass only the differences a language explains, exactly as explained.
 */
import { App } from 'aws-cdk-lib';
import { Template as Assertions } from 'aws-cdk-lib/assertions';
import { MediaStack } from '../../bin/media-stack';
import { EXPLAINED, Template, compareTemplates, summarise } from './templates';

const typescript: Template = Assertions.fromStack(
  new MediaStack(new App(), 'LightsailBucketAccessKeyExample'),
).toJSON();
const copy = (): Template => structuredClone(typescript);
const idOf = (type: string, prefix = '') =>
  Object.keys(typescript.Resources).find((id) => id.startsWith(prefix) && typescript.Resources[id].Type === type)!;
const uploader = idOf('AWS::Lambda::Function', 'Uploader');
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

describe("Python's explained difference", () => {
  const indented = (template: Template, by: string) => {
    const code = template.Resources[uploader].Properties.Code;
    code.ZipFile = code.ZipFile.split('\n')
      .map((line: string, i: number) => (i === 0 ? line : by + line))
      .join('\n');
    return template;
  };

  test('the inline code indented more is explained, for Python only', () => {
    const comparison = compareTemplates(typescript, indented(copy(), ' '.repeat(16)), EXPLAINED.python);
    expect(comparison.unexplained).toEqual([]);
    expect(comparison.explained.map((d) => d.path)).toEqual([`Resources.${uploader}.Properties.Code.ZipFile`]);
    expect(summarise(comparison)).toMatch(/but for 1 explained difference\(s\): .*jsii-rosetta/);
    expect(failed(indented(copy(), ' '.repeat(16)), 'go')).toEqual([`Resources.${uploader}.Properties.Code.ZipFile`]);
  });

  test('other indentation, or other code, at that path is not explained', () => {
    expect(failed(indented(copy(), ' '.repeat(12)), 'python')).toEqual([
      `Resources.${uploader}.Properties.Code.ZipFile`,
      `unused ${EXPLAINED.python[0].path}`,
    ]);
    const other = indented(copy(), ' '.repeat(16));
    other.Resources[uploader].Properties.Code.ZipFile += 'console.log(process.env);\n';
    expect(failed(other, 'python')).toEqual([
      `Resources.${uploader}.Properties.Code.ZipFile`,
      `unused ${EXPLAINED.python[0].path}`,
    ]);
  });

  test('an explanation whose difference did not occur fails the comparison', () => {
    expect(failed(copy(), 'python')).toEqual([`unused ${EXPLAINED.python[0].path}`]);
  });
});
