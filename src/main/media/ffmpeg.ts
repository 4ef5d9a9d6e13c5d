import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import path from 'node:path';

/**
 * The one place that finds and runs ffmpeg (fluent-ffmpeg is archived; we spawn it directly).
 * Search order: MER_FFMPEG (the user's explicit choice), ffmpeg-static's binary when installed,
 * the binary shipped inside @ffmpeg-installer/ffmpeg, then `ffmpeg` on PATH.
 */
export interface FfmpegBinary {
  path: string;
  source: string;
  version: string;
}

let located: FfmpegBinary | null = null;

export function locateFfmpeg(): FfmpegBinary {
  if (located) return located;
  const failures: string[] = [];
  for (const candidate of candidates()) {
    const version = probeVersion(candidate.path);
    if (version) {
      located = { ...candidate, version };
      return located;
    }
    failures.push(`${candidate.source} (${candidate.path})`);
  }
  throw new Error(
    `no working ffmpeg found (tried ${failures.join(', ') || 'nothing'}); ` +
      'install ffmpeg or set MER_FFMPEG to its path',
  );
}

function candidates(): Array<{ path: string; source: string }> {
  const found: Array<{ path: string; source: string }> = [];
  if (process.env.MER_FFMPEG) found.push({ path: process.env.MER_FFMPEG, source: 'MER_FFMPEG' });
  const require = createRequire(import.meta.url);
  for (const packageName of ['ffmpeg-static', '@ffmpeg-installer/ffmpeg']) {
    const binary = packageBinary(require, packageName);
    if (binary) found.push({ path: binary, source: packageName });
  }
  found.push({ path: 'ffmpeg', source: 'PATH' });
  return found;
}

function packageBinary(require: NodeJS.Require, packageName: string): string | null {
  try {
    const exported: unknown = require(packageName);
    const binary =
      typeof exported === 'string' ? exported : (exported as { path?: unknown } | null)?.path;
    if (typeof binary !== 'string') return null;
    // Inside an Electron asar archive the binary lives in the unpacked twin folder.
    const unpacked = binary.replace(`app.asar${path.sep}`, `app.asar.unpacked${path.sep}`);
    accessSync(unpacked, constants.X_OK);
    return unpacked;
  } catch {
    return null;
  }
}

function probeVersion(binary: string): string | null {
  const result = spawnSync(binary, ['-hide_banner', '-version'], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  if (result.status !== 0 || !result.stdout) return null;
  return /ffmpeg version (\S+)/.exec(result.stdout)?.[1] ?? 'unknown';
}

let frameRateOption: { binary: string; args: string[] } | null = null;

/**
 * The output option that passes every decoded frame on once, as decoded (no frame dropped or
 * repeated to fit a frame rate): `-fps_mode passthrough` from ffmpeg 5.1 on (later releases
 * removed `-vsync`), `-vsync 0` before (the bundled ffmpeg 4).
 */
export function passEveryFrame(): string[] {
  const binary = locateFfmpeg().path;
  if (frameRateOption?.binary !== binary) {
    // An option ffmpeg does not know fails the command line before -version is acted on.
    const probe = spawnSync(binary, ['-hide_banner', '-fps_mode', 'passthrough', '-version'], {
      stdio: 'ignore',
      timeout: 10_000,
    });
    const args = probe.status === 0 ? ['-fps_mode', 'passthrough'] : ['-vsync', '0'];
    frameRateOption = { binary, args };
  }
  return frameRateOption.args;
}

/** The ffmpeg processes of this thread that have not exited yet, each with its exit. */
const running = new Map<ChildProcess, Promise<void>>();

function track(child: ChildProcess): ChildProcess {
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  running.set(
    child,
    exited.finally(() => running.delete(child)),
  );
  return child;
}

/** How many ffmpeg processes this thread has started that have not exited yet. */
export function runningFfmpegCount(): number {
  return running.size;
}

/**
 * Kills this thread's ffmpeg processes and waits until each has exited. A worker thread must
 * call it before it is terminated: a child whose thread is gone is never reaped (a zombie).
 */
export async function stopAllFfmpeg(): Promise<void> {
  for (const child of running.keys()) child.kill('SIGKILL');
  await Promise.all(running.values());
}

export interface RunOptions {
  signal?: AbortSignal;
  /** Bytes written to ffmpeg's standard input. */
  input?: Buffer;
}

/**
 * Runs ffmpeg and resolves with its standard output. A non-zero exit rejects with the last
 * lines ffmpeg wrote to stderr, which name what is wrong with the input.
 */
export function runFfmpeg(args: string[], options: RunOptions = {}): Promise<Buffer> {
  const binary = locateFfmpeg().path;
  return new Promise((resolve, reject) => {
    const child = track(
      spawn(binary, ['-hide_banner', '-nostdin', '-loglevel', 'error', ...args], {
        stdio: [options.input ? 'pipe' : 'ignore', 'pipe', 'pipe'],
        signal: options.signal,
      }),
    );
    const stdout: Buffer[] = [];
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-4000);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(stdout));
      else reject(new Error(`ffmpeg failed (exit ${code}): ${lastLines(stderr) || 'no message'}`));
    });
    if (options.input) child.stdin?.end(options.input);
  });
}

/** What ffmpeg said last: from ffmpeg 7 on, the cause comes before three lines of aftermath. */
function lastLines(text: string): string {
  return text.trim().split('\n').slice(-4).join(' | ');
}

export interface SpawnOptions {
  signal?: AbortSignal;
  /** ffmpeg's -loglevel; 'info' is needed for stream headers and -debug_ts lines. */
  loglevel?: 'error' | 'info';
  onStdout?: (chunk: Buffer) => void;
  /** Called once per complete line ffmpeg writes to stderr. */
  onStderrLine?: (line: string) => void;
  /** ffmpeg's standard output goes to this socket instead of a pipe read by onStdout. */
  stdout?: Socket;
}

export interface SpawnedFfmpeg {
  /** Settles when ffmpeg exits: resolves on exit 0 or after stop(), rejects otherwise. */
  done: Promise<void>;
  /** Ends ffmpeg early (when it has produced what was needed). */
  stop(): void;
  /**
   * Stops reading its standard output pipe: once the pipe is full ffmpeg blocks on its next
   * write, so a paused decode holds at most a pipe's worth of output instead of racing ahead.
   */
  pause(): void;
  resume(): void;
  /** Whether the process keeps this thread's event loop alive (an idle decoder should not). */
  keepAlive(alive: boolean): void;
}

interface Refable {
  ref(): void;
  unref(): void;
}

/**
 * Runs ffmpeg streaming its output to callbacks, for long decodes that are read as they go and
 * may be stopped once the frames needed have arrived.
 */
export function spawnFfmpeg(args: string[], options: SpawnOptions = {}): SpawnedFfmpeg {
  const binary = locateFfmpeg().path;
  const child = spawn(
    binary,
    ['-hide_banner', '-nostdin', '-loglevel', options.loglevel ?? 'error', ...args],
    { stdio: ['ignore', options.stdout ?? 'pipe', 'pipe'] },
  );
  track(child);
  let stopped = false;
  let tail = '';
  let partial = '';
  const onAbort = () => {
    stopped = true;
    child.kill('SIGKILL');
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  child.stdout?.on('data', (chunk: Buffer) => {
    if (!stopped) options.onStdout?.(chunk);
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    const text = partial + chunk.toString('utf8');
    const lines = text.split(/\r?\n|\r/);
    partial = lines.pop() ?? '';
    for (const line of lines) {
      tail = (tail + line + '\n').slice(-4000);
      if (!stopped) options.onStderrLine?.(line);
    }
  });
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      options.signal?.removeEventListener('abort', onAbort);
      if (partial && !stopped) options.onStderrLine?.(partial);
      if (options.signal?.aborted) reject(options.signal.reason ?? new Error('aborted'));
      else if (code === 0 || stopped) resolve();
      else
        reject(
          new Error(`ffmpeg failed (exit ${code}): ${lastLines(errorLines(tail)) || 'no message'}`),
        );
    });
  });
  return {
    done,
    stop: () => {
      stopped = true;
      child.kill('SIGKILL');
    },
    pause: () => child.stdout?.pause(),
    resume: () => child.stdout?.resume(),
    keepAlive: (alive) => {
      // The pipes are sockets (ref/unref), though typed as plain readable streams.
      for (const handle of [child, child.stdout, child.stderr] as Array<Partial<Refable> | null>) {
        if (alive) handle?.ref?.();
        else handle?.unref?.();
      }
    },
  };
}

/** Lines of an info-level log that say what went wrong (not per-frame chatter). */
function errorLines(text: string): string {
  return text
    .split('\n')
    .filter(
      (line) =>
        !/demuxer|^\s|^(Input|Output|Stream mapping|Press)|\b(decoder|filter(_raw)?|encoder|muxer) [<-]/.test(
          line,
        ),
    )
    .join('\n');
}
