import { randomUUID } from 'node:crypto';
import { link, lstat, open, readFile, rename, unlink, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';

/**
 * An exclusive lock between processes, possibly on other hosts (a dataset on a network share):
 * `<file>.lock`, created with O_EXCL and holding who took it. Held only for a short
 * read-merge-write; its holder refreshes its time while it holds it, so a lock whose time stops
 * moving belongs to a process that died.
 */
export interface FileLockOptions {
  /** How long to wait for another holder before giving up with a FileLockError. */
  waitMs?: number;
  /** A lock with no sign of life (its holder refreshes it) for this long is taken over. */
  staleMs?: number;
  /** Called each time the lock is found held by another (the caller waits). */
  onWait?: (holder: LockHolder | null) => void;
}

export const LOCK_WAIT_MS = 20_000;
export const LOCK_STALE_MS = 10_000;

/** What a lock file holds. */
export interface LockHolder {
  pid: number;
  host: string;
  time: string;
  token: string;
}

/** The lock could not be taken: held for too long, or stale but impossible to remove. */
export class FileLockError extends Error {
  override name = 'FileLockError';

  constructor(
    message: string,
    /** The file system's code when removing a stale lock failed (EACCES, EROFS, …). */
    readonly code?: string,
  ) {
    super(message);
  }
}

export function lockFileOf(file: string): string {
  return `${file}.lock`;
}

/** A lock being held: a holder paused past the stale time may have lost it to another writer. */
export interface HeldLock {
  stillOurs(): Promise<boolean>;
}

interface Holding extends HeldLock {
  release(): Promise<void>;
}

/** Runs `work` holding `<file>.lock`; the lock is released whatever `work` does. */
export async function withFileLock<T>(
  file: string,
  work: (lock: HeldLock) => Promise<T>,
  options: FileLockOptions = {},
): Promise<T> {
  const holding = await acquire(lockFileOf(file), options);
  try {
    return await work(holding);
  } finally {
    await holding.release();
  }
}

/** A lock file as found: who holds it (null while unreadable) and when it last showed life. */
interface FoundLock {
  holder: LockHolder | null;
  /** Tells this lock from a later one at the same path. */
  id: string;
  mtimeMs: number;
}

/** A held lock as we first saw it: unchanged for staleMs of our own waiting, it is stale. */
interface Sighting {
  seen: string;
  since: number;
}

async function acquire(lock: string, options: FileLockOptions): Promise<Holding> {
  const waitMs = options.waitMs ?? LOCK_WAIT_MS;
  const staleMs = options.staleMs ?? LOCK_STALE_MS;
  const deadline = performance.now() + waitMs;
  let sighting: Sighting | null = null;
  for (;;) {
    const held = await tryCreate(lock, staleMs);
    if (held) return held;
    const found = await inspect(lock);
    if (!found) continue; // released meanwhile
    const stale = staleness(found, sighting, staleMs);
    if (stale) {
      await takeOver(lock, found, stale);
      continue;
    }
    sighting = sightingOf(found, sighting);
    if (performance.now() > deadline) throw new FileLockError(timeoutMessage(lock, found, waitMs));
    options.onWait?.(found.holder);
    await sleep(10 + Math.random() * 30);
  }
}

/** Creates the lock; null when someone holds it. */
async function tryCreate(lock: string, staleMs: number): Promise<Holding | null> {
  const holder: LockHolder = {
    pid: process.pid,
    host: hostname(),
    time: new Date().toISOString(),
    token: randomUUID(),
  };
  const handle = await open(lock, 'wx').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'EEXIST') return null;
    throw error;
  });
  if (!handle) return null;
  try {
    await handle.writeFile(JSON.stringify(holder));
  } catch (error) {
    await handle.close();
    await unlink(lock).catch(() => undefined);
    throw error;
  }
  await handle.close();
  const heartbeat = setInterval(() => {
    const now = new Date();
    utimes(lock, now, now).catch(() => undefined);
  }, staleMs / 4);
  heartbeat.unref();
  return {
    stillOurs: async () => (await inspect(lock).catch(() => null))?.holder?.token === holder.token,
    release: async () => {
      clearInterval(heartbeat);
      await releaseIfOurs(lock, holder.token);
    },
  };
}

/** Removes the lock unless another process took it over meanwhile (it thought us dead). */
async function releaseIfOurs(lock: string, token: string): Promise<void> {
  // The work is done: a lock left behind only delays the next writer until it turns stale.
  const found = await inspect(lock).catch(() => null);
  if (found?.holder?.token === token) await unlink(lock).catch(() => undefined);
}

async function inspect(lock: string): Promise<FoundLock | null> {
  const info = await lstat(lock).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
  if (!info) return null;
  const text = await readFile(lock, 'utf8').catch(() => '');
  const holder = parseHolder(text);
  return { holder, id: holder?.token ?? `inode ${info.ino}`, mtimeMs: info.mtimeMs };
}

function parseHolder(text: string): LockHolder | null {
  try {
    const parsed = JSON.parse(text) as Partial<LockHolder>;
    const valid =
      typeof parsed.pid === 'number' &&
      typeof parsed.host === 'string' &&
      typeof parsed.time === 'string' &&
      typeof parsed.token === 'string';
    return valid ? (parsed as LockHolder) : null;
  } catch {
    return null; // being written, or not ours
  }
}

/** Why the lock may be taken over, or null while its holder may still be alive. */
function staleness(found: FoundLock, sighting: Sighting | null, staleMs: number): string | null {
  const { holder } = found;
  if (holder && holder.host === hostname() && !processRuns(holder.pid)) {
    return `its process ${holder.pid} is no longer running`;
  }
  // A pid says nothing about another host: there only the lock's refreshed time tells.
  if (Date.now() - found.mtimeMs > staleMs) return `it was last refreshed ${describeAge(found)}`;
  // Clocks of hosts sharing a folder may disagree: a lock we watched not change is stale too.
  const unchanged = sighting?.seen === seenAs(found);
  if (unchanged && performance.now() - sighting.since > staleMs) {
    return `it did not change for ${Math.round(staleMs / 1000)} s`;
  }
  return null;
}

function sightingOf(found: FoundLock, sighting: Sighting | null): Sighting {
  return sighting?.seen === seenAs(found)
    ? sighting
    : { seen: seenAs(found), since: performance.now() };
}

function seenAs(found: FoundLock): string {
  return `${found.id}@${found.mtimeMs}`;
}

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // runs, as another user
  }
}

/**
 * Moves a stale lock aside (a rename: of several waiters, one moves it) and deletes it. A waiter
 * that moved a lock made just now by another waiter (the stale one already gone) puts it back.
 */
async function takeOver(lock: string, stale: FoundLock, why: string): Promise<void> {
  const aside = `${lock}.stale-${process.pid}-${randomUUID().slice(0, 8)}`;
  try {
    await rename(lock, aside);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return; // another waiter took it over first
    throw new FileLockError(
      `${lock} is left from a save that did not finish (${why}), but it cannot be removed ` +
        `(${code ?? (error as Error).message}): delete it by hand, then save again`,
      code,
    );
  }
  const moved = await inspect(aside);
  if (moved && moved.id !== stale.id) await link(aside, lock).catch(() => undefined);
  await unlink(aside).catch(() => undefined);
}

function timeoutMessage(lock: string, found: FoundLock, waitMs: number): string {
  const { holder } = found;
  const who = holder
    ? `process ${holder.pid} on ${holder.host} since ${holder.time}`
    : 'another process';
  return (
    `${lock}: another save of this file (${who}) did not finish within ${Math.round(waitMs / 1000)} s; ` +
    'not saved. Save again; if no other MER Studio uses this folder, delete the lock file'
  );
}

function describeAge(found: FoundLock): string {
  return `${Math.round((Date.now() - found.mtimeMs) / 1000)} s ago`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
