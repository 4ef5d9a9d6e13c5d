import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FrameAssembler, spawnFfmpegFrames } from './ffmpeg-frames';

const bytes = (from: number, count: number) =>
  Buffer.from(Array.from({ length: count }, (_, i) => (from + i) % 256));

describe('FrameAssembler', () => {
  it('cuts chunks of any size into frames of their own, across chunk boundaries', () => {
    const frames: Uint8Array[] = [];
    const assembler = new FrameAssembler((frame) => frames.push(frame));
    assembler.frameBytes = 10;
    for (const [from, count] of [
      [0, 3],
      [3, 15],
      [18, 2],
      [20, 1],
      [21, 19],
    ]) {
      assembler.append(bytes(from, count));
    }
    expect(frames.map((frame) => [...frame])).toEqual(
      [0, 10, 20, 30].map((from) => [...bytes(from, 10)]),
    );
    expect(new Set(frames.map((frame) => frame.buffer)).size).toBe(4);
  });

  it('reads straight into the frame, after a first read into its scratch buffer', () => {
    const frames: Uint8Array[] = [];
    const assembler = new FrameAssembler((frame) => frames.push(frame));
    const scratch = assembler.readInto(); // asked for before the frame size is known
    assembler.frameBytes = 8;
    bytes(0, 5).copy(scratch);
    assembler.wasRead(5, scratch);
    const rest = assembler.readInto();
    expect(rest.length).toBe(3);
    bytes(5, 3).copy(rest);
    assembler.wasRead(3, rest);
    const next = assembler.readInto();
    bytes(8, 8).copy(next);
    assembler.wasRead(8, next);
    expect(frames.map((frame) => [...frame])).toEqual([[...bytes(0, 8)], [...bytes(8, 8)]]);
  });

  it('refuses bytes before it knows the frame size', () => {
    expect(() => new FrameAssembler(() => undefined).append(bytes(0, 4))).toThrow(/size/);
  });
});

describe.skipIf(process.platform === 'win32')('spawnFfmpegFrames', () => {
  async function framesWith(tmpdir: string) {
    const previous = process.env.TMPDIR;
    process.env.TMPDIR = tmpdir;
    try {
      let count = 0;
      const args = ['-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=10:duration=1'];
      const run = await spawnFfmpegFrames([...args, '-pix_fmt', 'rgb24', '-f', 'rawvideo', '-'], {
        onFrame: () => count++,
      });
      run.readFrames(64 * 48 * 3);
      await run.done;
      return { transport: run.transport, count };
    } finally {
      if (previous === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = previous;
    }
  }

  it('reads over a socket in a private folder it removes, and by pipe where that path is too long', async () => {
    const base = await mkdtemp(path.join(os.tmpdir(), 'mer-socket-'));
    try {
      expect(await framesWith(base)).toEqual({ transport: 'socket', count: 10 });
      const deep = path.join(base, 'd'.repeat(90));
      await mkdir(deep);
      expect(await framesWith(deep)).toEqual({ transport: 'pipe', count: 10 });
      expect(await readdir(deep)).toEqual([]);
      expect(await readdir(base)).toEqual([path.basename(deep)]);
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  });
});
