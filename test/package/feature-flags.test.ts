/**
 * The example app's cdk.json carries what `cdk init` writes into a new app's context for the installed
 * aws-cdk-lib: its recommended feature flags. After an aws-cdk-lib upgrade this fails until cdk.json takes the new
 * set (copy `node_modules/aws-cdk-lib/recommended-feature-flags.json` into its `context`). package.test.ts shows
 * that the flags leave this library's resources as they deploy.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CURRENTLY_RECOMMENDED_FLAGS } from 'aws-cdk-lib/cx-api';

test("the example app's cdk.json context is the installed aws-cdk-lib's recommended feature flags", () => {
  const cdkJson = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8'));
  expect(cdkJson.context).toEqual(CURRENTLY_RECOMMENDED_FLAGS);
});
