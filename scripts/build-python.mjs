// Builds the Python sdist and wheel from the package that `jsii-pacmak --code-only` generated in dist/python, and
// leaves only them there (publib-pypi publishes dist/python).
//
// jsii-pacmak's own Python build makes a virtual environment and installs its pinned build tools (setuptools,
// build, twine) from PyPI. Instead, this runs `python -m build --no-isolation` with a Python that has `build` and
// setuptools already, so no index is needed: the sdist is built from the generated sources and the wheel from the
// sdist. `--skip-dependency-check` lets the installed setuptools stand in for the version pinned in the generated
// pyproject.toml; scripts/check-dist.py then checks what came out.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const OUT = 'dist/python';
if (!existsSync(join(OUT, 'pyproject.toml'))) {
  throw new Error(`${OUT} holds no generated Python package: run jsii-pacmak --code-only first (npm run package)`);
}

// The first Python that can build: $PYTHON if set, else python3, else the system's (Debian's python3-build).
const candidates = [process.env.PYTHON, 'python3', '/usr/bin/python3'].filter(Boolean);
const python = candidates.find(
  (p) => spawnSync(p, ['-c', 'import build, setuptools'], { stdio: 'ignore' }).status === 0,
);
if (!python) {
  throw new Error(
    `No Python with the "build" and "setuptools" modules among ${candidates.join(', ')}. ` +
      'Install them (Debian: apt-get install python3-build; elsewhere: pip install build setuptools wheel), ' +
      'or point PYTHON at a Python that has them.',
  );
}

const work = mkdtempSync('dist/.python-build-');
try {
  const source = join(work, 'source');
  renameSync(OUT, source);
  const out = join(work, 'out');
  const args = ['-m', 'build', '--no-isolation', '--skip-dependency-check', '--outdir', out, source];
  const build = spawnSync(python, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (build.status !== 0) {
    throw new Error(`${python} ${args.join(' ')} failed:\n${build.stdout}\n${build.stderr}`);
  }
  renameSync(out, OUT);
  console.log(`${OUT}: ${readdirSync(OUT).join(', ')} (built with ${python})`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
