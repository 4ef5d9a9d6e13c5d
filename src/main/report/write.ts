import { open, rename, rm } from 'node:fs/promises';

/** Writes a report whole or not at all: a temporary file beside it, fsynced, then renamed. */
export async function writeReportFile(file: string, content: string | Buffer): Promise<void> {
  const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    const handle = await open(temporary, 'w');
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
