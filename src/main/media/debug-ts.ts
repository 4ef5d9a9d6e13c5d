/**
 * ffmpeg's -debug_ts lines, read as versions 4.1, 5.1 and 7.1 write them. The input stream is
 * `ist_index:0` before ffmpeg 6 and `ist_index:0:0` from 6 on; a decoded frame's stamp is
 * `frame_pts:` before 6.1 and `pts:` from 6.1 on; newer versions put `[context @ 0x…] ` before
 * some lines, and their threads can write a line into the middle of another's (so nothing here
 * is anchored).
 */

export interface DemuxedPacket {
  /** The input stream as the line names it: `0`, or `0:0` (file and stream). */
  stream: string;
  /** null: the packet has no timestamp of that kind (NOPTS). */
  pts: number | null;
  ptsSeconds: number | null;
  dts: number | null;
  dtsSeconds: number | null;
}

const DEMUXED =
  /demuxer\+ffmpeg -> ist_index:(\d+(?::\d+)?) type:video pkt_pts:(\S+) pkt_pts_time:(\S+) pkt_dts:(\S+) pkt_dts_time:(\S+)/;
const DECODED = /decoder -> .*?\b(?:frame_)?pts:(NOPTS|-?\d+) (?:frame_)?pts_time:(\S+)/;
const MUXED = /muxer <- .*\bsize:(\d+)/;

/** A video packet as the demuxer hands it on (after ffmpeg's timestamp fixes). */
export function demuxedPacket(line: string): DemuxedPacket | null {
  const match = DEMUXED.exec(line);
  if (!match) return null;
  return {
    stream: match[1],
    pts: stamp(match[2]),
    ptsSeconds: stamp(match[3]),
    dts: stamp(match[4]),
    dtsSeconds: stamp(match[5]),
  };
}

/** A frame as the decoder gives it: its timestamp (null: none) and that in seconds. */
export function decodedFrame(line: string): { pts: number | null; seconds: number | null } | null {
  const match = DECODED.exec(line);
  return match ? { pts: stamp(match[1]), seconds: stamp(match[2]) } : null;
}

/** The byte size of a packet written to the output (a raw frame's size). */
export function muxedSize(line: string): number | null {
  const match = MUXED.exec(line);
  return match ? Number(match[1]) : null;
}

/** The stream a corrupt-packet warning names (the number alone, as in `0`). */
export function corruptPacketStream(line: string): string | null {
  return /corrupt input packet in stream (\d+)/.exec(line)?.[1] ?? null;
}

function stamp(text: string): number | null {
  const value = Number(text);
  return text === 'NOPTS' || !Number.isFinite(value) ? null : value;
}
