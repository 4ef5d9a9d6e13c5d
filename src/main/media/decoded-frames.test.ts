import { describe, expect, it } from 'vitest';
import { DecodedFrames } from './decoded-frames';
import type { VideoIndex } from './video-index';

const WIDTH = 192;
const HEIGHT = 144;
const FRAME_BYTES = WIDTH * HEIGHT * 3;

/** An MJPEG AVI at 200 fps: frame i has the timestamp i (time base 1/200). */
const video: VideoIndex = {
  file: 'intra.avi',
  frameCount: 240,
  fps: 200,
  width: WIDTH,
  height: HEIGHT,
  startTime: 0,
  pts: Array.from({ length: 240 }, (_, i) => i),
  seconds: Array.from({ length: 240 }, (_, i) => i / 200),
  indexOfPts: new Map(Array.from({ length: 240 }, (_, i) => [i, i])),
};

function read(lines: string[]): DecodedFrames {
  const output = new DecodedFrames();
  for (const line of lines) output.readLine(line, video);
  return output;
}

describe('DecodedFrames', () => {
  it('takes the output size from the header and pairs frames with their stamps (ffmpeg 5.1)', () => {
    const output = read([
      "Output #0, rawvideo, to 'pipe:':",
      '  Stream #0:0: Video: rawvideo (RGB[24] / 0x18424752), rgb24(pc, progressive), 192x144, q=2-31, 132710 kb/s, 200 fps, 200 tbn',
      'decoder -> ist_index:0 type:video frame_pts:113 frame_pts_time:0.565 best_effort_ts:113 best_effort_ts_time:0.565 keyframe:1 frame_type:1 time_base:1/200',
      `muxer <- type:video pkt_pts:0 pkt_pts_time:0 pkt_dts:0 pkt_dts_time:0 duration:1 duration_time:0.005 size:${FRAME_BYTES}`,
    ]);
    expect(output.geometry).toEqual({ width: WIDTH, height: HEIGHT });
    output.push(new Uint8Array(FRAME_BYTES));
    expect(output.next()).toMatchObject({ index: 113, size: FRAME_BYTES });
  });

  // ffmpeg 7.1's stderr as recorded here: another thread's lines broke the output header's line.
  const brokenHeader = [
    "Output #0, image2pipe, to 'pipe:':",
    'demuxer+ffmpeg -> ist_index:0:0 type:video pkt_pts:122 pkt_pts_time:0.61 pkt_dts:122 pkt_dts_time:0.61 duration:1 duration_time:0.005 off:0 off_time:0',
    '  Metadata:',
    '    software        : Lavf59.27.100',
    '    encoder         : Lavf61.7.100',
    '  Stream #0:0decoder -> pts:113 pts_time:0.565 pkt_dts:113 pkt_dts_time:0.565 duration:1 duration_time:0.005 keyframe:1 frame_type:1 time_base:1/200',
    ': Video: rawvideo (RGB[24] / 0x18424752), rgb24(pc, gbr/unknown/unknown, progressive), 192x144, q=2-31, 132710 kb/s, 200 fps, demuxer -> ist_index:0:0 type:video pkt_pts:123 pkt_pts_time:0.615 pkt_dts:123 pkt_dts_time:0.615 duration:1 duration_time:0.005',
    '200 tbn',
    '[vost#0:0/rawvideo @ 0x5634b7267f00] encoder <- type:video frame_pts:113 frame_pts_time:0.565 time_base:1/200',
  ];

  it('reads frames whose header line another thread broke, at the video’s own size (ffmpeg 7.1)', () => {
    const output = read(brokenHeader);
    expect(output.geometry).toBeNull();
    const said = output.readLine(
      `[vost#0:0/rawvideo @ 0x5634b7267f00] muxer <- pts:113 pts_time:0.565 dts:113 dts_time:0.565 duration:1 duration_time:0.005 size:${FRAME_BYTES} latency(N/A)`,
      video,
    );
    expect(said).toBe('frame');
    expect(output.takeVideoSize(video, 3)).toBe(true);
    expect(output.frameBytes(3)).toBe(FRAME_BYTES);
    output.push(new Uint8Array(FRAME_BYTES));
    expect(output.next()).toMatchObject({ index: 113, size: FRAME_BYTES });
  });

  it('does not guess a size the first frame does not have', () => {
    const output = read(brokenHeader);
    output.readLine('muxer <- pts:113 pts_time:0.565 size:1000 latency(N/A)', video);
    expect(output.takeVideoSize(video, 3)).toBe(false);
    expect(output.takeVideoSize({ ...video, width: undefined }, 3)).toBe(false);
    expect(output.geometry).toBeNull();
  });
});
