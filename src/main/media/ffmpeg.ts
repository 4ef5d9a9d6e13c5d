import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
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
      typeof exported === 'string'
        ? exported
        : (exported as { path?: unknown } | null)?.path;
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
  const result = spawnSync(binary, ['-hide_banner', '-version'], { encoding: 'utf8', timeout: 10_000 });
  if (result.status !== 0 || !result.stdout) return null;
  return /ffmpeg version (\S+)/.exec(result.stdout)?.[1] ?? 'unknown';
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
    const child = spawn(binary, ['-hide_banner', '-nostdin', '-loglevel', 'error', ...args], {
      stdio: [options.input ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      signal: options.signal,
    });
    const stdout: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => {
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

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-3).join(' | ');
}
