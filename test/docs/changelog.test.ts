/**
 * CHANGELOG.md stays in Keep a Changelog's shape, which the release workflow relies on: it publishes a tag only when
 * its version has a dated section (scripts/release-notes.mjs) and makes that section the release notes.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.join(__dirname, '..', '..');
const changelog = fs.readFileSync(path.join(root, 'CHANGELOG.md'), 'utf8');
const { version } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const headings = [...changelog.matchAll(/^## (.*)$/gm)].map((m) => m[1]);
const releases = headings.slice(1).map((h) => {
  const match = /^\[(\d+\.\d+\.\d+)\] - (\d{4}-\d{2}-\d{2})$/.exec(h);
  if (!match) throw new Error(`CHANGELOG.md: "## ${h}" is not "## [x.y.z] - YYYY-MM-DD"`);
  return { version: match[1], date: match[2] };
});
const numeric = (v: string) => v.split('.').map(Number);
const newer = (a: string, b: string) => {
  const [x, y] = [numeric(a), numeric(b)];
  const i = x.findIndex((n, j) => n !== y[j]);
  return i >= 0 && x[i] > y[i];
};

test('the Unreleased section comes first, then releases from the newest, each with a version and a date', () => {
  expect(headings[0]).toBe('[Unreleased]');
  expect(releases.length).toBeGreaterThan(0);
  for (let i = 1; i < releases.length; i++) {
    expect(newer(releases[i - 1].version, releases[i].version)).toBe(true);
    expect(releases[i - 1].date >= releases[i].date).toBe(true);
  }
});

test('sections use the change types of Keep a Changelog', () => {
  const types = [...changelog.matchAll(/^### (.*)$/gm)].map((m) => m[1]);
  for (const type of types) expect(['Added', 'Changed', 'Deprecated', 'Removed', 'Fixed', 'Security']).toContain(type);
});

test('every section heading has its link', () => {
  for (const name of ['Unreleased', ...releases.map((r) => r.version)]) {
    expect(changelog).toMatch(new RegExp(`^\\[${name.replace(/\./g, '\\.')}\\]: https://`, 'm'));
  }
});

test("the newest release is package.json's version, and its release notes are its section", () => {
  expect(releases[0].version).toBe(version);
  const notes = execFileSync(process.execPath, ['scripts/release-notes.mjs', `v${version}`], {
    cwd: root,
    encoding: 'utf8',
  });
  expect(notes).toMatch(/^### /);
  expect(notes).not.toContain('## [');
});
