// Prints the CHANGELOG.md section of a release tag (`node scripts/release-notes.mjs v0.2.0`), after checking that the
// tag is `v` + package.json's version and that CHANGELOG.md has a dated section for it. The release workflow runs it
// before publishing anything, and uses its output as the GitHub release's notes.
import { readFileSync } from 'node:fs';

const tag = process.argv[2];
const { version } = JSON.parse(readFileSync('package.json', 'utf8'));
const fail = (message) => {
  console.error(`release-notes: ${message}`);
  process.exit(1);
};

if (tag !== `v${version}`) fail(`tag ${tag} is not v${version}, the version in package.json`);
const changelog = readFileSync('CHANGELOG.md', 'utf8');
const escaped = version.replace(/\./g, '\\.');
const section = new RegExp(`^## \\[${escaped}\\] - \\d{4}-\\d{2}-\\d{2}\\n([\\s\\S]*?)(?=^## |^\\[)`, 'm').exec(
  changelog,
);
if (!section) fail(`CHANGELOG.md has no section "## [${version}] - YYYY-MM-DD": move the Unreleased entries there`);
const notes = section[1].trim();
if (!notes) fail(`the CHANGELOG.md section of ${version} is empty`);
console.log(notes);
