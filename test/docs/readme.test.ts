/**
 * The README's usage examples are the example apps' code: the TypeScript one is bin/media-stack.ts, so the README
 * shows code that compiles and synthesizes (bin/media-stack.ts is type-checked and synthesized by the main job); the
 * Python one is jsii-rosetta's translation of it, the same translation the Python package's README carries; the Java
 * and Go ones are the stacks of the Java and Go apps in test/languages. `npm run test:languages` synthesizes the
 * Python, Java and Go ones. `npm run docs:example` rewrites the README's copies.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  GO_STACK,
  JAVA_STACK,
  PACKAGE_NAME,
  appUsageRegion,
  readmeBlock,
  readmeGoUsageExample,
  readmeJavaUsageExample,
  readmePythonUsageExample,
  readmeUsageExample,
  rosettaPythonTranslation,
  rosettaTranslation,
} from '../support/readme-example';

test('the README usage example is bin/media-stack.ts, importing the published package', () => {
  const expected = appUsageRegion().replace("from '../lib';", `from '${PACKAGE_NAME}';`);
  expect(readmeUsageExample()).toBe(expected);
});

test("the README's Python usage example is jsii-rosetta's translation of the TypeScript one", () => {
  expect(readmePythonUsageExample()).toBe(rosettaPythonTranslation(readmeUsageExample()));
});

test("the README's Python usage example is valid Python", () => {
  const check = 'import sys; compile(sys.stdin.read(), "README.md (Python usage example)", "exec")';
  expect(() =>
    execFileSync('python3', ['-c', check], { input: readmePythonUsageExample(), stdio: ['pipe', 'pipe', 'pipe'] }),
  ).not.toThrow();
});

const consumer = path.join(__dirname, '..', 'consumer');

test("the README's boto3 consumer is the one test/consumer/boto3_consumer.py runs", () => {
  const script = fs.readFileSync(path.join(consumer, 'boto3_consumer.py'), 'utf8');
  const region = script.match(/^# readme:start\n([\s\S]*?)# readme:end\n/m);
  expect(region).not.toBeNull();
  expect(readmeBlock('s3-client-python', 'python')).toBe(region![1]);
});

test("the README's secret JSON has the fields and URLs of the handler's record", () => {
  const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
  const shown = JSON.parse(readme.match(/The secret's value is JSON:\n\n```json\n([\s\S]*?)```/)![1]);
  const written = JSON.parse(fs.readFileSync(path.join(consumer, 'secret-value.json'), 'utf8'));
  expect(Object.keys(shown)).toEqual(Object.keys(written));
  const { accessKeyId: _a, secretAccessKey: _s, ...urls } = written;
  expect(shown).toMatchObject(urls);
});

test("the README's Java usage example is the Java app's MediaStack.java", () => {
  expect(readmeJavaUsageExample()).toBe(fs.readFileSync(JAVA_STACK, 'utf8'));
});

test("the Java app's MediaStack.java is jsii-rosetta's Java translation, with the imports it needs", () => {
  // jsii-rosetta leaves out the imports of BucketAccessKeyRotation and java.util.Map, and imports
  // software.amazon.awscdk.services.lambda.* whole, which makes `Runtime` ambiguous with java.lang.Runtime: the app
  // imports what it uses. When the TypeScript example changes, copy the new translation's body from .jsii.tabl.json.
  const body = (java: string) => java.replace(/^(import [\w.*]+;\n|\n)*/, '');
  const translation = rosettaTranslation(readmeUsageExample(), 'java');
  expect(body(fs.readFileSync(JAVA_STACK, 'utf8'))).toBe(body(translation));
  expect(body(translation).length).toBeGreaterThan(1000);
});

test("the README's Go usage example is the Go app's media_stack.go", () => {
  // Written by hand: jsii-rosetta's Go translation does not compile (imports, struct names and the embedded Stack).
  expect(readmeGoUsageExample()).toBe(fs.readFileSync(GO_STACK, 'utf8'));
});
