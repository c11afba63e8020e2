/**
 * The README's usage examples are the example app's code: the TypeScript one is bin/media-stack.ts, so the README
 * shows code that compiles and synthesizes (bin/media-stack.ts is type-checked and synthesized by the main job); the
 * Python one is jsii-rosetta's translation of it, the same translation the Python package's README carries.
 * `npm run docs:example` rewrites both.
 */
import { execFileSync } from 'node:child_process';
import {
  PACKAGE_NAME,
  appUsageRegion,
  readmePythonUsageExample,
  readmeUsageExample,
  rosettaPythonTranslation,
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
