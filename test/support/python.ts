import { execFileSync } from 'node:child_process';

/** Whether Debian's python3 imports torch; when not, says which tests are skipped. */
export function hasTorch(skipped: string): boolean {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'pipe' });
    return true;
  } catch {
    console.warn(
      `[skipped] ${skipped}: /usr/bin/python3 has no torch (apt-get install python3-torch)`,
    );
    return false;
  }
}
