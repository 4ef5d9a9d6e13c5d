import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppContext } from '../../src/main/app/context';
import { openDataset } from '../../src/main/dataset';
import { checkFrameFiles } from '../../src/main/dataset/check';
import { frameImage } from '../../src/main/media/frame-response';
import { runFfmpeg } from '../../src/main/media/ffmpeg';
import { decodeFrame } from '../../src/main/media/frames';
import { videoDecodeStats } from '../../src/main/media/video-decode';
import { clipSpanMs, type DatasetIndex } from '../../src/shared/domain';
import { INDEX_VIDEO, readIndex, writeIndexVideo, type IndexCodec } from '../fixtures/index-video';

const FRAMES = 240;
let base: string;
let dataset: DatasetIndex;
let hasXvid = false;

/** Deterministic "random" seek targets, so a failure can be reproduced. */
function seekTargets(count: number, frames: number, seed: number): number[] {
  let state = seed;
  return Array.from({ length: count }, () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state % frames;
  });
}

beforeAll(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'mer-video-'));
  await mkdir(path.join(base, 'subA'), { recursive: true });
  await writeIndexVideo(path.join(base, 'subA', 'gop.mp4'), FRAMES, 25, 'h264');
  await writeIndexVideo(path.join(base, 'subA', 'intra.avi'), FRAMES, 200, 'mjpeg');
  await writeIndexVideo(path.join(base, 'subA', 'gop.mkv'), FRAMES, 30, 'h264');
  const broken = await readFile(path.join(base, 'subA', 'gop.mp4'));
  await writeFile(path.join(base, 'subA', 'cut.mp4'), broken.subarray(0, 2000));
  await writeFile(path.join(base, 'subA', 'notvideo.mov'), 'hello');
  await runFfmpeg([
    '-f',
    'lavfi',
    '-i',
    'sine=duration=0.5',
    '-y',
    path.join(base, 'subA', 'sound.mp4'),
  ]);
  await mkdir(path.join(base, 'subB'), { recursive: true });
  await runFfmpeg([
    '-i',
    path.join(base, 'subA', 'gop.mp4'),
    '-c',
    'copy',
    '-metadata:s:v:0',
    'rotate=90',
    '-y',
    path.join(base, 'subB', 'turned.mp4'),
  ]);
  await writeFile(
    path.join(base, 'subB', 'renamed.m4v'),
    await readFile(path.join(base, 'subA', 'gop.mp4')),
  );
  const avi = await readFile(path.join(base, 'subA', 'intra.avi'));
  await writeFile(path.join(base, 'subA', 'half.avi'), avi.subarray(0, avi.length >> 1));
  // Packet stamps that are not the decoded frames': H.264 with B-frames in AVI (no PTS), and a
  // stream-copy cut between keyframes (an MP4 edit list drops the frames before the cut).
  await mkdir(path.join(base, 'subC'), { recursive: true });
  await writeIndexVideo(path.join(base, 'subC', 'bframes.avi'), FRAMES, 30, 'h264');
  // Xvid's packed B-frames in AVI: no PTS either, and an empty chunk among the first.
  hasXvid = await writeIndexVideo(path.join(base, 'subC', 'packed.avi'), FRAMES, 30, 'xvid').then(
    () => true,
    (error: Error) => {
      if (!/libxvid/.test(error.message)) throw error;
      return false;
    },
  );
  await runFfmpeg([
    '-ss',
    '0.5',
    '-i',
    path.join(base, 'subA', 'gop.mp4'),
    '-c',
    'copy',
    '-y',
    path.join(base, 'subC', 'cut.mp4'),
  ]);
  // Index first (faststart), then cut short: the index lists frames whose data is gone.
  const faststart = path.join(base, 'faststart.mp4');
  await runFfmpeg(
    ['-i', path.join(base, 'subA', 'gop.mp4'), '-c', 'copy'].concat([
      '-movflags',
      '+faststart',
      '-y',
      faststart,
    ]),
  );
  const whole = await readFile(faststart);
  await writeFile(path.join(base, 'subC', 'short.mp4'), whole.subarray(0, whole.length - 3000));
  // Variable frame rate: 30 fps for a second, then 15 fps.
  await runFfmpeg([
    '-i',
    path.join(base, 'subA', 'gop.mkv'),
    '-vf',
    "setpts='if(lt(N,30),N,2*N-30)/30/TB'",
    '-vsync',
    'vfr',
    '-c:v',
    'libx264',
    '-y',
    path.join(base, 'subC', 'vfr.mkv'),
  ]);
  dataset = await openDataset(base);
});

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('video clips: probe', () => {
  it('counts frames and reads fps and size from each video; the generic fps default does not apply', () => {
    const byId = Object.fromEntries(dataset.clips.map((clip) => [clip.id, clip]));
    expect(byId['subA/gop.mp4']).toMatchObject({
      frameCount: FRAMES,
      fps: 25,
      width: 192,
      height: 144,
    });
    expect(byId['subA/intra']).toMatchObject({ frameCount: FRAMES, fps: 200 });
    expect(byId['subB/renamed']).toMatchObject({ frameCount: FRAMES, fps: 25 }); // .m4v too
    expect(byId['subA/gop.mp4']?.source).toEqual({
      kind: 'video',
      file: path.join('subA', 'gop.mp4'),
      version: expect.stringMatching(/^\d+:[\d.]+$/) as string,
    });
  });

  it('loads videos without a subject level (each video its own subject)', async () => {
    const flat = await openDataset(path.join(base, 'subA'));
    expect(flat.kind).toBe('generic');
    expect(flat.clips.find((clip) => clip.id === 'intra/intra')).toMatchObject({
      subject: 'intra',
      frameCount: FRAMES,
      fps: 200,
      source: { kind: 'video', file: 'intra.avi' },
    });
    expect(flat.clips.map((clip) => clip.id)).toContain('gop.mkv/gop.mkv');
  });

  it('reports videos it cannot read and loads the rest', () => {
    const ids = dataset.clips.map((clip) => clip.id);
    expect(ids).not.toContain('subA/notvideo');
    const notVideo = dataset.problems.find((p) => p.clipId === 'subA/notvideo');
    expect(notVideo).toMatchObject({
      severity: 'error',
      message: expect.stringMatching(/cannot read video.*left out/),
    });
    expect(dataset.problems.find((p) => p.clipId === 'subA/sound')?.message).toMatch(
      /no video stream/,
    );
    const cut = dataset.problems.find((p) => p.clipId === 'subA/cut');
    expect(cut).toMatchObject({
      severity: 'error',
      message: expect.stringMatching(/MP4 is incomplete/),
    });
    // An AVI cut in half keeps the frames before the cut, and they decode.
    const halfAvi = dataset.clips.find((clip) => clip.id === 'subA/half');
    expect(halfAvi?.frameCount).toBeGreaterThan(FRAMES / 3);
    expect(halfAvi?.frameCount).toBeLessThan(FRAMES);
  });
});

describe.each<[string, IndexCodec]>([
  ['subA/gop.mp4', 'h264'],
  ['subA/intra', 'mjpeg'],
  ['subA/gop.mkv', 'h264'],
])('frame-exact seeks in %s (%s)', (id) => {
  it('decodes exactly the frame asked for, at 30 scattered indexes, grey and RGB', async () => {
    const clip = dataset.clips.find((candidate) => candidate.id === id);
    if (!clip) throw new Error(`${id} not loaded`);
    const targets = [0, FRAMES - 1, ...seekTargets(28, FRAMES, id.length)];
    const decoded: number[] = [];
    for (const [n, index] of targets.entries()) {
      const frame = await decodeFrame(dataset, clip, index, { grey: n % 2 === 0 });
      expect(frame.channels).toBe(n % 2 === 0 ? 1 : 3);
      decoded.push(readIndex(frame));
    }
    expect(decoded).toEqual(targets);
    expect(videoDecodeStats.seeksRedone).toBe(0);
  });
});

describe('video decoding runs', () => {
  it('decodes the last frames before the cut of a truncated AVI', async () => {
    const clip = dataset.clips.find((candidate) => candidate.id === 'subA/half');
    if (!clip) throw new Error('half.avi not loaded');
    const last = clip.frameCount - 1;
    expect(readIndex(await decodeFrame(dataset, clip, last))).toBe(last);
  });

  it('decodes a run of frames per ffmpeg process when stepping, not one process per frame', async () => {
    const clip = dataset.clips.find((candidate) => candidate.id === 'subA/gop.mp4');
    if (!clip) throw new Error('not loaded');
    const before = videoDecodeStats.runs;
    for (let index = 150; index < 210; index++) {
      expect(readIndex(await decodeFrame(dataset, clip, index))).toBe(index);
    }
    expect(videoDecodeStats.runs - before).toBeLessThanOrEqual(3);
  });
});

/** The index drawn in every frame plain ffmpeg decodes from the file, in order. */
async function decodedIndexes(file: string): Promise<number[]> {
  const { width, height } = INDEX_VIDEO;
  const raw = await runFfmpeg(
    ['-i', file, '-map', '0:v:0', '-vsync', '0', '-f', 'rawvideo'].concat([
      '-pix_fmt',
      'gray',
      '-',
    ]),
  );
  return Array.from({ length: raw.length / (width * height) }, (_, i) =>
    readIndex({ width, height, channels: 1, data: raw.subarray(i * width * height) }),
  );
}

describe('videos whose packets are stamped unlike their decoded frames', () => {
  it.each([
    ['subC/bframes', 'H.264 with B-frames in AVI'],
    ['subC/cut', 'an MP4 cut by stream copy (edit list)'],
  ])('%s (%s): frame i is the i-th frame ffmpeg decodes', async (id) => {
    const clip = dataset.clips.find((candidate) => candidate.id === id);
    if (!clip || clip.source.kind !== 'video') throw new Error(`${id} not loaded`);
    const reference = await decodedIndexes(path.join(base, clip.source.file));
    if (id === 'subC/cut')
      expect(reference[0]).toBeGreaterThan(0); // frames before the cut dropped
    else expect(reference).toEqual(Array.from({ length: FRAMES }, (_, i) => i));
    expect(clip.frameCount).toBe(reference.length);
    const last = reference.length - 1;
    for (const index of [0, 1, last, ...seekTargets(12, last, 7), last - 1]) {
      expect(readIndex(await decodeFrame(dataset, clip, index)), `frame ${index}`).toBe(
        reference[index],
      );
    }
  });
});

describe('Xvid with packed B-frames in AVI', () => {
  it('indexes the frames ffmpeg decodes, read in order and by seeking', async (context) => {
    if (!hasXvid) context.skip('this ffmpeg has no libxvid encoder to make the video');
    const clip = dataset.clips.find((candidate) => candidate.id === 'subC/packed');
    if (!clip || clip.source.kind !== 'video') throw new Error('packed.avi not loaded');
    const reference = await decodedIndexes(path.join(base, clip.source.file));
    expect(clip.frameCount).toBe(reference.length);
    const inOrder = [];
    for (let index = 0; index < reference.length; index++)
      inOrder.push(readIndex(await decodeFrame(dataset, clip, index)));
    expect(inOrder).toEqual(reference);
    const last = reference.length - 1;
    for (const index of [last, 1, ...seekTargets(12, last, 3)]) {
      const frame = await decodeFrame(dataset, clip, index, { grey: true });
      expect(readIndex(frame), `frame ${index}`).toBe(reference[index]);
    }
  });
});

describe('a video cut short after its index', () => {
  it('lists the frames ffmpeg decodes, the last one too', async () => {
    const clip = dataset.clips.find((candidate) => candidate.id === 'subC/short');
    if (!clip || clip.source.kind !== 'video') throw new Error('short.mp4 not loaded');
    const reference = await decodedIndexes(path.join(base, clip.source.file));
    expect(reference.length).toBeLessThan(FRAMES);
    expect(clip.frameCount).toBe(reference.length);
    const last = clip.frameCount - 1;
    expect(readIndex(await decodeFrame(dataset, clip, last))).toBe(reference[last]);
  });

  it('info --check decodes the first and last frame of each video and names what fails', async () => {
    expect(await checkFrameFiles(dataset)).toEqual([]);
    const clip = dataset.clips.find((candidate) => candidate.id === 'subC/short');
    if (!clip) throw new Error('short.mp4 not loaded');
    const overcounted = { ...clip, frameCount: clip.frameCount + 2 }; // as if listed too long
    const problems = await checkFrameFiles({ ...dataset, clips: [overcounted] });
    expect(problems.map((problem) => [problem.clipId, problem.message])).toEqual([
      [
        'subC/short',
        expect.stringMatching(
          /^frame \d+ could not be decoded from subC\/short\.mp4 .*; the clip is listed with \d+ frames$/,
        ),
      ],
    ]);
  });
});

describe('variable frame rate', () => {
  it('times its frames by their own timestamps, says so, and stays frame-exact', async () => {
    const clip = dataset.clips.find((candidate) => candidate.id === 'subC/vfr');
    if (!clip) throw new Error('vfr.mkv not loaded');
    expect(clip.frameCount).toBe(FRAMES);
    expect(clip.fps).toBeCloseTo(16, 0); // the average: 240 frames over 14.9 s
    expect(clip.problems.map((problem) => problem.message)).toEqual([
      expect.stringMatching(
        /^variable frame rate: frames are 33\.\d ms to 6[67]\.\d ms apart; times and durations use each frame's own timestamp/,
      ),
    ]);
    // 30 fps for the first second, then 15 fps (mkv stamps in whole ms)
    expect(clipSpanMs(clip, 0, 30)).toBeCloseTo(1000, -1);
    expect(clipSpanMs(clip, 30, 60)).toBeCloseTo(2000, -1);
    const constant = dataset.clips.find((candidate) => candidate.id === 'subA/gop.mkv');
    expect(constant?.problems).toEqual([]);
    expect(constant?.frameTimesMs).toBeUndefined();
    for (const index of [10, 29, 30, 31, 200]) {
      expect(readIndex(await decodeFrame(dataset, clip, index))).toBe(index);
    }
  });
});

describe('rotated videos (phone recordings)', () => {
  it('report the turned size and decode turned frames, still frame-exact', async () => {
    const clip = dataset.clips.find((candidate) => candidate.id === 'subB/turned');
    expect(clip).toMatchObject({ width: 144, height: 192, frameCount: FRAMES });
    if (!clip) return;
    const frame = await decodeFrame(dataset, clip, 77, { grey: true });
    expect({ width: frame.width, height: frame.height }).toEqual({ width: 144, height: 192 });
  });
});

describe('video frames for display', () => {
  it('serves a decoded video frame as JPEG through frameImage, stepping backwards too', async () => {
    const ctx = new AppContext('cli', base);
    ctx.setDataset(dataset);
    for (const index of [120, 119, 118, 60]) {
      const image = await frameImage(ctx, {
        clipId: 'subA/gop.mp4',
        index,
        grey: true,
        maxSide: 0,
      });
      const { data, info } = await sharp(image).raw().toBuffer({ resolveWithObject: true });
      expect(
        readIndex({
          width: info.width,
          height: info.height,
          channels: info.channels === 1 ? 1 : 3,
          data: new Uint8Array(data.buffer, data.byteOffset, data.length),
        }),
      ).toBe(index);
    }
  });
});
