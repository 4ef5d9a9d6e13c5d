import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openDataset } from '../../src/main/dataset';
import { runFfmpeg, runningFfmpegCount } from '../../src/main/media/ffmpeg';
import {
  configureFrameCache,
  DEFAULT_FRAME_CACHE_BYTES,
  frameCache,
} from '../../src/main/media/frame-cache';
import { decodeFrame, frameKey, isAbort, type RawFrame } from '../../src/main/media/frames';
import { VideoDecode, videoDecodeStats } from '../../src/main/media/video-decode';
import { stopVideoDecoders, videoRun, videoSessionCount } from '../../src/main/media/video-frames';
import { videoIndex } from '../../src/main/media/video-index';
import type { Clip, DatasetIndex } from '../../src/shared/domain';
import { INDEX_VIDEO, readIndex, writeIndexVideo } from '../fixtures/index-video';

/** Streaming decode of videos read in order: one process, flow control, cancel, ends. */
const FRAMES = 240;
let base: string;
let dataset: DatasetIndex;
let clip: Clip;
const defaults = { ...videoRun };

beforeAll(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'mer-stream-'));
  await mkdir(path.join(base, 'subA'), { recursive: true });
  await writeIndexVideo(path.join(base, 'subA', 'gop.mp4'), FRAMES, 25, 'h264');
  // MPEG-TS (camcorder .mts/.m2ts): a seek lands after the frame asked for, or past the last keyframe.
  await writeIndexVideo(path.join(base, 'subA', 'cam.m2ts'), FRAMES, 25, 'h264');
  // MPEG-2 in MPEG-PS with B-frames: some packets carry no PTS.
  await writeIndexVideo(path.join(base, 'subA', 'dvd.mpg'), FRAMES, 25, 'mpeg2');
  // MPEG-4 Part 2 with B-frames in AVI (DivX style): ffmpeg fails seeks near the start.
  await writeIndexVideo(path.join(base, 'subA', 'divx.avi'), FRAMES, 30, 'mpeg4');
  dataset = await openDataset(base);
  const found = dataset.clips.find((candidate) => candidate.id === 'subA/gop');
  if (!found) throw new Error('gop.mp4 not loaded');
  clip = found;
});

afterEach(async () => {
  Object.assign(videoRun, defaults);
  configureFrameCache({ budgetBytes: DEFAULT_FRAME_CACHE_BYTES });
  frameCache.clear();
  await allStopped();
});

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

async function allStopped(): Promise<void> {
  stopVideoDecoders();
  await until(() => runningFfmpegCount() === 0 && videoSessionCount() === 0);
}

async function until(condition: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const frameAt = (target: Clip, index: number, options: { grey?: boolean } = {}) =>
  decodeFrame(dataset, target, index, options);

const cachedFrames = () =>
  Array.from({ length: FRAMES }, (_, i) => i).filter((i) =>
    frameCache.has(frameKey(dataset, clip, i, 'raw-rgb')),
  );

describe('reading a video in order', () => {
  it('streams the whole clip from one ffmpeg process, every frame exact, RGB and grey', async () => {
    for (const grey of [false, true]) {
      frameCache.clear();
      const runs = videoDecodeStats.runs;
      for (let index = 0; index < FRAMES; index++) {
        const frame = await frameAt(clip, index, { grey });
        expect(frame.channels).toBe(grey ? 1 : 3);
        expect(readIndex(frame), `frame ${index}`).toBe(index);
      }
      expect(videoDecodeStats.runs - runs).toBe(1);
    }
  });

  it('still gives the right frames after a seek backwards and a jump forwards', async () => {
    for (let index = 100; index <= 140; index++)
      expect(readIndex(await frameAt(clip, index))).toBe(index);
    const runs = videoDecodeStats.runs;
    frameCache.clear(); // so the frames below are decoded again, not served from the cache
    for (const index of [20, 21, 22, 230, 231, 5, 139, 141]) {
      expect(readIndex(await frameAt(clip, index)), `frame ${index}`).toBe(index);
    }
    // 20 (behind the stream), 230 (far ahead), 5 (behind again) and 139 each seek; 21, 22,
    // 231 and 141 are decoded on by the stream that is already there.
    expect(videoDecodeStats.runs - runs).toBe(4);
  });

  it('decodes only a window ahead of the reader (bounded by the cache) and goes on when read on', async () => {
    const frameBytes = INDEX_VIDEO.width * INDEX_VIDEO.height * 3;
    configureFrameCache({ budgetBytes: 40 * frameBytes }); // a window of 10 frames
    const runs = videoDecodeStats.runs;
    expect(readIndex(await frameAt(clip, 0))).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(Math.max(...cachedFrames())).toBeLessThanOrEqual(10);
    expect(runningFfmpegCount()).toBe(1); // paused, not ended
    for (let index = 1; index < FRAMES; index++) {
      expect(readIndex(await frameAt(clip, index)), `frame ${index}`).toBe(index);
    }
    expect(videoDecodeStats.runs - runs).toBe(1);
    expect(frameCache.bytes).toBeLessThanOrEqual(40 * frameBytes);
  });
});

describe('stopping', () => {
  it('a cancelled read stops its ffmpeg', async () => {
    videoRun.idleMs = 60_000; // so it is the cancel, not idleness, that stops it
    videoRun.behind = 150; // 150 frames to decode before frame 200: time enough to cancel
    const controller = new AbortController();
    const pending = decodeFrame(dataset, clip, 200, { signal: controller.signal });
    await until(() => runningFfmpegCount() === 1);
    controller.abort();
    const error = await pending.then(
      () => null,
      (reason: unknown) => reason,
    );
    expect(isAbort(error)).toBe(true);
    await until(() => runningFfmpegCount() === 0, 1000);
    expect(videoSessionCount()).toBe(0);
    expect(readIndex(await frameAt(clip, 200))).toBe(200); // and the frame can be asked for again
  });

  it('a decoder nobody waits for stops after a while and does not keep ffmpeg running', async () => {
    videoRun.idleMs = 100;
    expect(readIndex(await frameAt(clip, 50))).toBe(50);
    expect(runningFfmpegCount()).toBe(1);
    await until(() => runningFfmpegCount() === 0, 2000);
    expect(videoSessionCount()).toBe(0);
  });
});

describe('a clip that ends before its listed length', () => {
  it('says which clip and file, and where the video ended', async () => {
    const overcounted: Clip = { ...clip, frameCount: FRAMES + 5 };
    expect(readIndex(await frameAt(overcounted, FRAMES - 3))).toBe(FRAMES - 3);
    await expect(frameAt(overcounted, FRAMES + 2)).rejects.toThrow(
      `subA/gop: frame ${FRAMES + 2} could not be decoded from ${path.join('subA', 'gop.mp4')} (the video ends after frame ${FRAMES - 1}: damaged or truncated video?)`,
    );
    expect(readIndex(await frameAt(overcounted, FRAMES - 1))).toBe(FRAMES - 1);
  });
});

describe('how frames are read from ffmpeg', () => {
  async function decodeAll(grey: boolean, transport: 'socket' | 'pipe'): Promise<RawFrame[]> {
    const video = await videoIndex(path.join(base, 'subA', 'gop.mp4'));
    const frames: RawFrame[] = [];
    const decode = new VideoDecode(video, {
      grey,
      first: 0,
      until: FRAMES,
      transport,
      onFrame: (index, frame) => {
        frames[index] = frame;
      },
    });
    await decode.done;
    return frames;
  }

  it('gives the same pixels over a pipe as over a socket', async () => {
    for (const grey of [false, true]) {
      const [socket, pipe] = [await decodeAll(grey, 'socket'), await decodeAll(grey, 'pipe')];
      expect(socket).toHaveLength(FRAMES);
      expect(pipe).toHaveLength(FRAMES);
      for (let index = 0; index < FRAMES; index++) {
        expect(readIndex(socket[index])).toBe(index);
        expect(Buffer.from(pipe[index].data).equals(Buffer.from(socket[index].data))).toBe(true);
      }
    }
  });
});

describe('seeking in MPEG-TS', () => {
  it('decodes frames reached by a seek exactly, up to the last, without decoding from the start', async () => {
    const cam = dataset.clips.find((candidate) => candidate.id === 'subA/cam');
    if (!cam) throw new Error('cam.m2ts not loaded');
    const targets = [FRAMES - 1, FRAMES - 3, 100, 180, 60, FRAMES - 10];
    const { runs, fromStart } = videoDecodeStats;
    for (const index of targets) {
      frameCache.clear();
      stopVideoDecoders();
      expect(readIndex(await frameAt(cam, index))).toBe(index);
    }
    // At most the seek, a second earlier and four earlier for each: never from the start.
    expect(videoDecodeStats.fromStart - fromStart).toBe(0);
    expect(videoDecodeStats.runs - runs).toBeLessThanOrEqual(3 * targets.length);
  });
});

describe('seeking in an AVI with B-frames (MPEG-4 Part 2, DivX style)', () => {
  it('decodes the first frames exactly though ffmpeg cannot seek there, and seeks elsewhere', async () => {
    const divx = dataset.clips.find((candidate) => candidate.id === 'subA/divx');
    if (!divx) throw new Error('divx.avi not loaded');
    const { width, height } = INDEX_VIDEO;
    const reference = await runFfmpeg(
      ['-i', path.join(base, 'subA', 'divx.avi'), '-vsync', '0', '-f', 'rawvideo'].concat([
        '-pix_fmt',
        'gray',
        '-',
      ]),
    );
    const { fromStart } = videoDecodeStats;
    // Each frame asked for first: its decoder seeks a few frames before it, to frames 1 and 2 too.
    for (let index = 0; index < 40; index++) {
      frameCache.clear();
      stopVideoDecoders();
      const frame = await frameAt(divx, index, { grey: true });
      const expected = reference.subarray(index * width * height, (index + 1) * width * height);
      expect(Buffer.from(frame.data).equals(expected), `frame ${index}`).toBe(true);
    }
    // Only the seeks ffmpeg fails (frames 1 and 2) are decoded from the start instead.
    expect(videoDecodeStats.fromStart - fromStart).toBeLessThanOrEqual(2);
  });
});

describe('MPEG-2 program streams', () => {
  it('indexes every frame and decodes each exactly, in order and by seeking', async () => {
    const dvd = dataset.clips.find((candidate) => candidate.id === 'subA/dvd');
    if (!dvd) throw new Error('dvd.mpg not loaded');
    expect(dvd.frameCount).toBe(FRAMES);
    for (const index of [0, 1, 2, 3, 50, 51, 52, 53]) {
      expect(readIndex(await frameAt(dvd, index))).toBe(index);
    }
    for (const index of [FRAMES - 1, 120, 7, 99]) {
      frameCache.clear();
      stopVideoDecoders();
      expect(readIndex(await frameAt(dvd, index))).toBe(index);
    }
  });
});
