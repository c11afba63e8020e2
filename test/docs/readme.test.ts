/**
 * The README's usage examples are the example apps' code: the TypeScript one is bin/media-stack.ts, so the README
 * shows code that compiles and synthesizes (bin/media-stack.ts is type-checked and synthesized by the main job); the
 * Python one is jsii-rosetta's translation of it, the same translation the Python package's README carries; the Java
 * and Go ones are the stacks of the Java and Go apps in test/languages. `npm run test:languages` synthesizes the
 * Python, Java and Go ones. `npm run docs:example` rewrites the README's copies.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import {
  GO_STACK,
  JAVA_STACK,
  PACKAGE_NAME,
  appUsageRegion,
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
