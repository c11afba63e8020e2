/**
 * The README's usage example is the example app's code: this keeps the two equal, so the README shows code that
 * compiles and synthesizes (bin/media-stack.ts is type-checked and synthesized by the main job).
 */
import { PACKAGE_NAME, appUsageRegion, readmeUsageExample } from '../support/readme-example';

test('the README usage example is bin/media-stack.ts, importing the published package', () => {
  const expected = appUsageRegion().replace("from '../lib';", `from '${PACKAGE_NAME}';`);
  expect(readmeUsageExample()).toBe(expected);
});
