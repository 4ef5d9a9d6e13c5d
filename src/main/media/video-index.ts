import { stat } from 'node:fs/promises';
import { corruptPacketStream, decodedFrame, demuxedPacket } from './debug-ts';
import { passEveryFrame, spawnFfmpeg } from './ffmpeg';

/**
 * Where every frame of a video sits in time, built once per file from its packets (stream copy,
 * no decoding) and kept in memory. Frame index i is the i-th frame in presentation order; its
 * timestamp is what ffmpeg reports for the decoded frame (with -copyts), so a decoded frame can be
 * matched to its index exactly.
 */
export interface VideoIndex {
  file: string;
  frameCount: number;
  /** The stream's declared frame rate, else measured from the timestamps, else 30. */
  fps: number;
  width?: number;
  height?: number;
  /** Container start time in seconds (-ss is relative to it). */
  startTime: number;
  /** Per frame index: timestamp in the stream's time base, ascending. */
  pts: number[];
  /** Per frame index: timestamp in seconds. */
  seconds: number[];
  /** Set when frames are not evenly spaced (variable frame rate): the spacing seen, in seconds. */
  variableRate?: { shortest: number; longest: number };
  indexOfPts: Map<number, number>;
  /** The file version indexed (see videoFileVersion). */
  version?: string;
}

const cache = new Map<string, Promise<VideoIndex>>();

/** The video's index, probed once per file version (path, size, modification time). */
export async function videoIndex(file: string, signal?: AbortSignal): Promise<VideoIndex> {
  const version = await videoFileVersion(file);
  const key = `${file}\0${version}`;
  let pending = cache.get(key);
  if (!pending) {
    pending = probeVideo(file, signal).then((index) => ({ ...index, version }));
    cache.set(key, pending);
    pending.catch(() => cache.delete(key));
  }
  return pending;
}

/** What tells one version of a video file from another: its size and modification time. */
export async function videoFileVersion(file: string): Promise<string> {
  const info = await stat(file).catch((error: NodeJS.ErrnoException) => {
    throw new Error(
      `${file}: ${error.code === 'ENOENT' ? 'video file is missing' : error.message}`,
    );
  });
  return `${info.size}:${info.mtimeMs}`;
}

interface Packet {
  pts: number;
  seconds: number;
}

export async function probeVideo(file: string, signal?: AbortSignal): Promise<VideoIndex> {
  const packets: Packet[] = [];
  let withoutPts = false;
  let withPts = false;
  const header: string[] = [];
  let videoInput: string | null = null;
  // A file cut short mid-packet: ffmpeg flags its last packet corrupt (the frame cannot decode).
  let corruptStream: string | null = null;
  let lastPacketCorrupt = false;
  const probe = spawnFfmpeg(
    ['-copyts', '-i', file, '-map', '0:v:0', '-c', 'copy', '-f', 'null', '-', '-debug_ts'],
    {
      signal,
      loglevel: 'info',
      onStderrLine: (line) => {
        const packet = demuxedPacket(line);
        if (!packet) {
          corruptStream = corruptPacketStream(line) ?? corruptStream;
          if (header.length < 200) header.push(line);
          return;
        }
        videoInput ??= packet.stream;
        if (packet.stream !== videoInput) return;
        // Its message names the stream alone (`0`), the packet line may name file and stream (`0:0`).
        lastPacketCorrupt = corruptStream === packet.stream.split(':').pop();
        corruptStream = null;
        const usePts = packet.pts !== null;
        withoutPts ||= !usePts;
        withPts ||= usePts;
        const pts = usePts ? packet.pts : packet.dts;
        const seconds = usePts ? packet.ptsSeconds : packet.dtsSeconds;
        if (pts !== null) packets.push({ pts, seconds: seconds ?? NaN });
      },
    },
  );
  try {
    await probe.done;
  } catch (error) {
    throw new Error(`${file}: cannot read video: ${explainFfmpegError((error as Error).message)}`, {
      cause: error,
    });
  }
  if (lastPacketCorrupt && packets.length > 1) packets.pop();
  if (packets.length === 0) throw new Error(`${file}: no video frames found`);
  // Some packets without a PTS among others with one (MPEG-PS with B-frames): their DTS collides
  // with other frames' PTS, so only the decoder can say which frames there are.
  const stamped = withPts && withoutPts ? await decodedStamps(file, signal) : [];
  const frames = stamped.length > 0 ? stamped : packets;
  frames.sort((a, b) => a.pts - b.pts);
  const sorted = frames.filter((packet, i) => i === 0 || packet.pts !== frames[i - 1].pts);
  const unique = stamped.length > 0 ? sorted : await asDecoded(file, sorted, withoutPts, signal);
  const text = header.join('\n');
  const geometry = /Video: .*?, (\d{2,5})x(\d{2,5})/.exec(text);
  const pts = unique.map((p) => p.pts);
  const variable = variableRate(unique);
  return {
    file,
    frameCount: unique.length,
    // A variable rate's declared figure is often its fastest: the average gives the right length.
    fps: (variable ? measuredFps(unique) : declaredFps(text)) ?? measuredFps(unique) ?? 30,
    ...(geometry ? displaySize(Number(geometry[1]), Number(geometry[2]), text) : {}),
    startTime: Number(/start: (-?[\d.]+)/.exec(text)?.[1] ?? 0),
    pts,
    seconds: unique.map((p) => p.seconds),
    ...(variable ? { variableRate: variable } : {}),
    indexOfPts: new Map(pts.map((value, index) => [value, index])),
  };
}

/**
 * Packet timestamps that differ from what the decoder puts on its frames, found by decoding the
 * first frame (only then, as it costs a process):
 * - packets without a PTS (AVI): the decoder stamps frames by its reordering delay, see
 *   stampedByDecoder();
 * - packets before zero (an MP4 edit list, as a stream-copy cut writes): the decoder drops them,
 *   so they are no frames of the clip.
 */
async function asDecoded(
  file: string,
  packets: Packet[],
  withoutPts: boolean,
  signal?: AbortSignal,
): Promise<Packet[]> {
  if (!withoutPts && packets[0].pts >= 0) return packets;
  const first = await firstDecodedPts(file, signal);
  if (first === null) return packets;
  if (withoutPts) return stampedByDecoder(packets, first);
  return packets.filter((packet) => packet.pts >= first);
}

/**
 * Packets without a PTS, stamped as the decoder stamps their frames: a decoder that reorders
 * (B-frames) gives out a frame `delay` packets after it took it in, with the DTS of the packet it
 * took in then, and stamps the last frames, given out after the last packet, a frame apart. The
 * DTS are not always evenly spaced (Xvid's packed B-frames leave an empty AVI chunk after the
 * first frame), so the stamps are those packets' DTS rather than each DTS moved by a constant.
 * Only the stamps move: seeking still goes by the demuxer's time (Packet.seconds).
 */
function stampedByDecoder(packets: Packet[], firstStamp: number): Packet[] {
  const delay = packets.findIndex((packet) => packet.pts === firstStamp);
  const last = packets.length - 1;
  if (delay < 0) {
    const shift = firstStamp - packets[0].pts;
    return packets.map((packet) => ({ ...packet, pts: packet.pts + shift }));
  }
  const step = last > 0 ? packets[last].pts - packets[last - 1].pts : 1;
  return packets.map((packet, i) => {
    const after = i + delay - last;
    return {
      ...packet,
      pts: after > 0 ? packets[last].pts + after * step : packets[i + delay].pts,
    };
  });
}

/** Every frame's timestamp as the decoder puts it on the frame (a whole decode, no output). */
async function decodedStamps(file: string, signal?: AbortSignal): Promise<Packet[]> {
  const frames: Packet[] = [];
  const run = spawnFfmpeg(
    ['-copyts', '-i', file, '-map', '0:v:0', '-an', '-f', 'null', '-', '-debug_ts'],
    {
      signal,
      loglevel: 'info',
      onStderrLine: (line) => {
        const frame = decodedFrame(line);
        if (frame && frame.pts !== null)
          frames.push({ pts: frame.pts, seconds: frame.seconds ?? NaN });
      },
    },
  );
  await run.done.catch(() => undefined); // a damaged end: the frames decoded before it count
  return frames;
}

async function firstDecodedPts(file: string, signal?: AbortSignal): Promise<number | null> {
  let first: number | null = null;
  const run = spawnFfmpeg(
    ['-copyts', '-i', file, '-map', '0:v:0', '-an', ...passEveryFrame(), '-frames:v', '1'].concat([
      '-f',
      'null',
      '-',
      '-debug_ts',
    ]),
    {
      signal,
      loglevel: 'info',
      onStderrLine: (line) => {
        first ??= decodedFrame(line)?.pts ?? null;
      },
    },
  );
  await run.done.catch(() => undefined); // undecodable: the packets are all there is to go by
  return first;
}

/** Coded size turned as ffmpeg will turn the frames (phone videos carry a rotation). */
function displaySize(width: number, height: number, header: string) {
  const rotation = Number(
    /rotate\s*:\s*(-?\d+)/.exec(header)?.[1] ??
      /rotation of (-?[\d.]+) degrees/.exec(header)?.[1] ??
      0,
  );
  const quarterTurn = Math.abs(Math.round(rotation / 90)) % 2 === 1;
  return quarterTurn ? { width: height, height: width } : { width, height };
}

function declaredFps(header: string): number | null {
  const line = /Stream #.*Video: .*/.exec(header)?.[0] ?? '';
  const fps = /([\d.]+)(k?) fps/.exec(line) ?? /([\d.]+)(k?) tbr/.exec(line);
  if (!fps) return null;
  const value = Number(fps[1]) * (fps[2] === 'k' ? 1000 : 1);
  return value > 0 && value < 10_000 ? value : null;
}

/** Frames more than half a frame away from an even spacing mean a variable frame rate. */
function variableRate(packets: Packet[]): VideoIndex['variableRate'] {
  const fps = measuredFps(packets);
  if (fps === null) return undefined;
  const start = packets[0].seconds;
  const uneven = packets.some(
    (packet, i) => Math.abs(packet.seconds - start - i / fps) > 0.5 / fps,
  );
  if (!uneven) return undefined;
  let shortest = Infinity;
  let longest = 0;
  for (let i = 1; i < packets.length; i++) {
    const gap = packets[i].seconds - packets[i - 1].seconds;
    shortest = Math.min(shortest, gap);
    longest = Math.max(longest, gap);
  }
  return { shortest, longest };
}

function measuredFps(packets: Packet[]): number | null {
  if (packets.length < 2) return null;
  const span = packets[packets.length - 1].seconds - packets[0].seconds;
  return span > 0 ? Math.round(((packets.length - 1) / span) * 1000) / 1000 : null;
}

/** ffmpeg's words for the usual damage, said plainly (ffmpeg's own line is kept after it). */
export function explainFfmpegError(message: string): string {
  if (/detected only with low score/.test(message)) return 'not a video ffmpeg can read';
  if (/moov atom not found/.test(message)) {
    return `the MP4 is incomplete: its index (moov atom) is missing, as in a truncated copy or an unfinished recording (${message})`;
  }
  // ffmpeg 7 and later end with the option that failed, not with the stream it did not find.
  if (/matches no streams|for option 'map'/.test(message)) return 'the file has no video stream';
  if (/Invalid data found when processing input/.test(message)) {
    return `not a video ffmpeg can read (${message})`;
  }
  return message;
}
