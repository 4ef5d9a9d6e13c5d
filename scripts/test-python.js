// Runs the model's Python tests (pytest under models/) with a Python that has PyTorch:
// MER_PYTHON, else Debian's /usr/bin/python3 (python3-torch), else python3 on PATH.
// Without one they are skipped with a message — except in CI, where that is a failure.
import { spawnSync } from 'node:child_process';

const candidates = [process.env.MER_PYTHON, '/usr/bin/python3', 'python3'].filter(Boolean);
const python = candidates.find(
  (candidate) =>
    spawnSync(candidate, ['-c', 'import torch, pytest'], { stdio: 'ignore' }).status === 0,
);
if (!python) {
  const message = `no Python with torch and pytest found (tried ${candidates.join(', ')})`;
  if (process.env.CI) {
    console.error(`${message}: CI must install python3-torch and python3-pytest`);
    process.exit(1);
  }
  console.log(
    `[skipped] Python model tests: ${message}; apt-get install python3-torch python3-pytest`,
  );
  process.exit(0);
}
console.log(`Python model tests with ${python}`);
const result = spawnSync(python, ['-m', 'pytest', 'models', '-q'], { stdio: 'inherit' });
process.exit(result.status ?? 1);
