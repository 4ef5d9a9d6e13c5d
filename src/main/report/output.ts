import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';

/**
 * Checks, before any work, that a report can be written to `file`: its folder exists and is
 * writable, and the file itself (when it exists) is a writable file. Returns a message naming
 * the path and the problem, or null.
 */
export async function unwritableReason(file: string): Promise<string | null> {
  const target = path.resolve(file);
  const folder = path.dirname(target);
  const folderInfo = await stat(folder).catch(() => null);
  if (!folderInfo) return `${target}: the folder ${folder} does not exist`;
  if (!folderInfo.isDirectory()) return `${target}: ${folder} is not a folder`;
  const existing = await stat(target).catch(() => null);
  if (existing?.isDirectory()) return `${target}: is a folder, not a file`;
  try {
    await access(existing ? target : folder, constants.W_OK);
  } catch {
    return existing
      ? `${target}: the file exists and cannot be overwritten (permission denied)`
      : `${target}: cannot write into ${folder} (permission denied or read-only)`;
  }
  return null;
}
