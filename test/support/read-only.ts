import { execFileSync } from 'node:child_process';

/**
 * Makes a folder unwritable even for root, who ignores permission bits (chattr +i), or by mode
 * for other users. False where neither works (then the test says so and skips).
 */
export function makeReadOnly(folder: string): boolean {
  try {
    if (process.getuid?.() === 0) execFileSync('chattr', ['+i', folder], { stdio: 'ignore' });
    else execFileSync('chmod', ['a-w', folder], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function makeWritable(folder: string): void {
  if (process.getuid?.() === 0) execFileSync('chattr', ['-i', folder], { stdio: 'ignore' });
  else execFileSync('chmod', ['u+w', folder], { stdio: 'ignore' });
}
