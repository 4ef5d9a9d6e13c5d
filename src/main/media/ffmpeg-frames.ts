import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { spawnFfmpeg, type SpawnedFfmpeg } from './ffmpeg';

export type FrameTransport = 'socket' | 'pipe';

export interface FrameSpawnOptions {
  onStderrLine?: (line: string) => void;
  /** Receives each frame ffmpeg writes to stdout, in a buffer of its own, in order. */
  onFrame: (data: Uint8Array) => void;
  /** How stdout is read; default: a socket where there are local sockets, else a pipe. */
  transport?: FrameTransport;
}

export interface FrameFfmpeg {
  /** Settles once ffmpeg has exited and its frames were all read (or after stop()). */
  done: Promise<void>;
  transport: FrameTransport;
  /** Starts reading frames of `bytes` each: ffmpeg says its output size before its first frame. */
  readFrames(bytes: number): void;
  /** Stops reading (ffmpeg blocks once the socket or pipe is full) until resume(). */
  pause(): void;
  resume(): void;
  stop(): void;
  /** Whether ffmpeg keeps the event loop alive; an idle decoder lets the app exit. */
  keepAlive(alive: boolean): void;
}

/**
 * Runs ffmpeg writing raw frames to stdout (info log level) and reads them frame by frame.
 * Over a local socket each read lands straight in the frame's own buffer: a pipe is read in
 * 64 KiB chunks, each a fresh buffer, that then have to be copied into frames, which for
 * 640×480 RGB at a few hundred frames a second is most of the cost of decoding. The pipe is
 * kept for Windows (named pipes are untested here) and for when the socket cannot be set up.
 */
export async function spawnFfmpegFrames(
  args: string[],
  options: FrameSpawnOptions,
): Promise<FrameFfmpeg> {
  const transport = options.transport ?? (process.platform === 'win32' ? 'pipe' : 'socket');
  const frames = new FrameAssembler(options.onFrame);
  if (transport === 'socket') {
    const pair = await socketPair(frames).catch(() => null);
    if (pair) return overSocket(args, options, frames, pair);
  }
  return overPipe(args, options, frames);
}

function overPipe(args: string[], options: FrameSpawnOptions, frames: FrameAssembler): FrameFfmpeg {
  const run = spawnFfmpeg(args, {
    loglevel: 'info',
    onStderrLine: options.onStderrLine,
    onStdout: (chunk) => frames.append(chunk),
  });
  const flow = new Flow((reading) => (reading ? run.resume() : run.pause()));
  return {
    done: run.done,
    transport: 'pipe',
    readFrames: (bytes) => {
      frames.frameBytes = bytes;
      flow.start();
    },
    pause: () => flow.pause(),
    resume: () => flow.resume(),
    stop: () => run.stop(),
    keepAlive: (alive) => run.keepAlive(alive),
  };
}

function overSocket(
  args: string[],
  options: FrameSpawnOptions,
  frames: FrameAssembler,
  { ours, theirs }: { ours: net.Socket; theirs: net.Socket },
): FrameFfmpeg {
  let run: SpawnedFfmpeg;
  try {
    run = spawnFfmpeg(args, {
      loglevel: 'info',
      onStderrLine: options.onStderrLine,
      stdout: theirs,
    });
  } catch (error) {
    ours.destroy();
    throw error;
  } finally {
    theirs.destroy(); // ffmpeg has its own copy: EOF comes when ffmpeg closes it
  }
  const flow = new Flow((reading) => (reading ? ours.resume() : ours.pause()));
  const read = once(ours, 'close').then(() => undefined);
  ours.on('error', () => undefined); // a reset after stop(); ffmpeg's exit says what went wrong
  const done = run.done.then(
    async () => {
      if (flow.started) await read;
      else ours.destroy();
    },
    (error: unknown) => {
      ours.destroy();
      throw error;
    },
  );
  return {
    done,
    transport: 'socket',
    readFrames: (bytes) => {
      frames.frameBytes = bytes;
      flow.start();
    },
    pause: () => flow.pause(),
    resume: () => flow.resume(),
    stop: () => {
      run.stop();
      ours.destroy();
    },
    keepAlive: (alive) => {
      run.keepAlive(alive);
      if (alive) ours.ref();
      else ours.unref();
    },
  };
}

/** Reading starts once the frame size is known, and then follows pause() and resume(). */
class Flow {
  started = false;
  private paused = false;

  constructor(private readonly set: (reading: boolean) => void) {
    set(false);
  }

  start(): void {
    this.started = true;
    this.apply();
  }

  pause(): void {
    this.paused = true;
    this.apply();
  }

  resume(): void {
    this.paused = false;
    this.apply();
  }

  private apply(): void {
    this.set(this.started && !this.paused);
  }
}

/**
 * Two connected local sockets: ffmpeg's stdout (theirs) and the end we read (ours), whose reads
 * go where the frame assembler says. Made in a new folder of ours (mode 0700), so no other user
 * can connect first; the folder is gone once connected.
 */
async function socketPair(
  frames: FrameAssembler,
): Promise<{ ours: net.Socket; theirs: net.Socket }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mer-ffmpeg-'));
  const server = net.createServer({ pauseOnConnect: true });
  try {
    const where = path.join(dir, 'frames');
    // Longer socket paths are cut short by the system (sun_path), outside the private folder.
    if (Buffer.byteLength(where) > MAX_SOCKET_PATH_BYTES) throw new Error('socket path too long');
    server.listen(where);
    await once(server, 'listening');
    const accepted = once(server, 'connection') as Promise<[net.Socket]>;
    const ours = net.connect({
      path: where,
      onread: {
        buffer: () => frames.readInto(),
        callback: (count, buffer) => {
          frames.wasRead(count, buffer);
          return true;
        },
      },
    });
    ours.pause();
    const [theirs] = await Promise.race([
      accepted,
      once(ours, 'error').then(([error]) => Promise.reject(error as Error)),
    ]);
    return { ours, theirs };
  } finally {
    server.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** sun_path holds 108 bytes on Linux, 104 on macOS, with the terminating zero. */
const MAX_SOCKET_PATH_BYTES = 100;

/** Cuts ffmpeg's output into frames of `frameBytes`, each in a buffer of its own. */
export class FrameAssembler {
  frameBytes = 0;
  private current: Buffer | null = null;
  private filled = 0;
  /** Where reads go before the frame size is known (the socket asks for a buffer up front). */
  private readonly scratch = Buffer.allocUnsafe(64 * 1024);

  constructor(private readonly onFrame: (data: Uint8Array) => void) {}

  /** Where the next read should go: the rest of the current frame. */
  readInto(): Buffer {
    if (this.frameBytes === 0) return this.scratch;
    // Not from the shared pool and not zero-filled: every byte is read into it.
    this.current ??= Buffer.allocUnsafeSlow(this.frameBytes);
    return this.current.subarray(this.filled);
  }

  wasRead(count: number, buffer: Uint8Array): void {
    if (buffer === this.scratch) this.append(this.scratch.subarray(0, count));
    else this.advance(count);
  }

  /** Copies bytes read elsewhere (a pipe's chunk) into frames. */
  append(bytes: Buffer): void {
    if (this.frameBytes === 0) throw new Error('ffmpeg wrote frames before saying their size');
    for (let from = 0; from < bytes.length;) {
      const into = this.readInto();
      const count = bytes.copy(into, 0, from, from + Math.min(into.length, bytes.length - from));
      from += count;
      this.advance(count);
    }
  }

  private advance(count: number): void {
    this.filled += count;
    if (this.filled < this.frameBytes || !this.current) return;
    const frame = this.current;
    this.current = null;
    this.filled = 0;
    this.onFrame(new Uint8Array(frame.buffer, frame.byteOffset, frame.length));
  }
}
