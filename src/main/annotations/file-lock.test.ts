import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileLockError, lockFileOf, withFileLock, type LockHolder } from './file-lock';
import { makeReadOnly, makeWritable } from '../../../test/support/read-only';

let base: string;
beforeAll(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'mer-lock-'));
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

let count = 0;
async function freshFile(): Promise<string> {
  const folder = path.join(base, `folder-${++count}`);
  await mkdir(folder);
  return path.join(folder, 'ana.json');
}

/** The pid of a process that has ended. */
function deadPid(): number {
  const ended = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(ended.stdout.toString());
}

async function leaveLock(file: string, holder: Partial<LockHolder>): Promise<void> {
  const left = { pid: 1, host: os.hostname(), time: new Date().toISOString(), token: randomUUID() };
  await writeFile(lockFileOf(file), JSON.stringify({ ...left, ...holder }));
}

/** Never decided by the lock's age: only what the test is about can free the lock. */
const patient = { waitMs: 60_000, staleMs: 3_600_000 };

describe('file lock', () => {
  it('tells a holder that another writer took its lock over (it was paused past the stale time)', async () => {
    const file = await freshFile();
    await withFileLock(
      file,
      async (lock) => {
        expect(await lock.stillOurs()).toBe(true);
        await leaveLock(file, { pid: process.pid }); // what a takeover and a new holder leave
        expect(await lock.stillOurs()).toBe(false);
      },
      patient,
    );
    // Its release leaves the new holder's lock alone.
    expect(await readdir(path.dirname(file))).toContain('ana.json.lock');
  });

  it('takes over a lock whose process on this host is no longer running', async () => {
    const file = await freshFile();
    await leaveLock(file, { pid: deadPid() });
    expect(await withFileLock(file, async () => 'saved', patient)).toBe('saved');
    expect(await readdir(path.dirname(file))).toEqual([]);
  });

  it('takes over a lock from another host once it has not been refreshed for staleMs', async () => {
    const file = await freshFile();
    await leaveLock(file, { host: 'another-host' });
    const anHourAgo = new Date(Date.now() - 3_600_000);
    await utimes(lockFileOf(file), anHourAgo, anHourAgo);
    const options = { waitMs: 60_000, staleMs: 60_000 };
    expect(await withFileLock(file, async () => 'saved', options)).toBe('saved');
  });

  it('takes over a lock that does not change while it waits, whatever the other host’s clock says', async () => {
    const file = await freshFile();
    await leaveLock(file, { host: 'another-host' });
    const aheadOfUs = new Date(Date.now() + 3_600_000);
    await utimes(lockFileOf(file), aheadOfUs, aheadOfUs);
    let waits = 0;
    const options = { waitMs: 60_000, staleMs: 200, onWait: () => waits++ };
    expect(await withFileLock(file, async () => 'saved', options)).toBe('saved');
    expect(waits).toBeGreaterThan(0);
  });

  it('makes a second writer wait while the lock is held, then lets it in', async () => {
    const file = await freshFile();
    const events: string[] = [];
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let entered = (): void => undefined;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const first = withFileLock(file, async () => {
      events.push('first in');
      entered();
      await held;
      events.push('first out');
    });
    await inside;
    let waiting = (): void => undefined;
    const waited = new Promise<void>((resolve) => (waiting = resolve));
    const second = withFileLock(file, async () => void events.push('second in'), {
      onWait: () => waiting(),
    });
    await waited;
    expect(events).toEqual(['first in']);
    release();
    await Promise.all([first, second]);
    expect(events).toEqual(['first in', 'first out', 'second in']);
  });

  it('is not taken over while its holder lives, however long it holds it (it refreshes it)', async () => {
    const file = await freshFile();
    const options = { waitMs: 60_000, staleMs: 500 };
    const events: string[] = [];
    let waits = 0;
    let release = (): void => undefined;
    const longEnough = new Promise<void>((resolve) => (release = resolve));
    const first = withFileLock(
      file,
      async () => {
        await longEnough;
        events.push('first out');
      },
      options,
    );
    // Each wait sleeps at least 10 ms: 100 waits outlast staleMs twice over.
    const secondIn = async (): Promise<void> => {
      events.push('second in');
      release(); // taken over: the holder need not wait any longer
    };
    const second = withFileLock(file, secondIn, {
      ...options,
      onWait: () => ++waits === 100 && release(),
    });
    await Promise.all([first, second]);
    expect(events).toEqual(['first out', 'second in']);
  });

  it('gives up after waitMs with an error naming the lock and its holder', async () => {
    const file = await freshFile();
    await leaveLock(file, { pid: process.pid, time: '2026-03-01T10:00:00.000Z' });
    const waiting = withFileLock(file, async () => 'saved', { waitMs: 100, staleMs: 3_600_000 });
    await expect(waiting).rejects.toBeInstanceOf(FileLockError);
    await expect(waiting).rejects.toThrow(
      `${lockFileOf(file)}: another save of this file (process ${process.pid} on ${os.hostname()} since 2026-03-01T10:00:00.000Z) did not finish`,
    );
  });

  it('says which file to delete when a stale lock cannot be removed', async (context) => {
    const file = await freshFile();
    const folder = path.dirname(file);
    await leaveLock(file, { pid: deadPid() });
    if (!makeReadOnly(folder)) context.skip('cannot make a folder read-only here');
    try {
      const taking = withFileLock(file, async () => 'saved', patient);
      await expect(taking).rejects.toBeInstanceOf(FileLockError);
      await expect(taking).rejects.toThrow(
        new RegExp(
          `^${lockFileOf(file)} is left from a save that did not finish \\(its process \\d+ is no longer running\\), but it cannot be removed \\((EPERM|EACCES)\\): delete it by hand`,
        ),
      );
    } finally {
      makeWritable(folder);
    }
  });
});
