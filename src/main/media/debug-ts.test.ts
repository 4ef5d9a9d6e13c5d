import { describe, expect, it } from 'vitest';
import { corruptPacketStream, decodedFrame, demuxedPacket, muxedSize } from './debug-ts';

// Lines as ffmpeg wrote them here: 4.1 (the bundled build), 5.1 (Debian 12) and 7.1 (a threaded
// build), on the same H.264 files (MP4, and AVI whose packets carry no PTS).
const demuxed = {
  '4.1':
    'demuxer+ffmpeg -> ist_index:0 type:video pkt_pts:1536 pkt_pts_time:0.12 pkt_dts:-512 pkt_dts_time:-0.04 off:0 off_time:0',
  '5.1':
    'demuxer+ffmpeg -> ist_index:0 type:video pkt_pts:1536 pkt_pts_time:0.12 pkt_dts:-512 pkt_dts_time:-0.04 duration:512 duration_time:0.04 off:0 off_time:0',
  '7.1':
    'demuxer+ffmpeg -> ist_index:0:0 type:video pkt_pts:1536 pkt_pts_time:0.12 pkt_dts:-512 pkt_dts_time:-0.04 duration:512 duration_time:0.04 off:0 off_time:0',
};
const decoded = {
  '4.1':
    'decoder -> ist_index:0 type:video frame_pts:512 frame_pts_time:0.04 best_effort_ts:512 best_effort_ts_time:0.04 keyframe:0 frame_type:3 time_base:1/12800',
  '5.1':
    'decoder -> ist_index:0 type:video frame_pts:512 frame_pts_time:0.04 best_effort_ts:512 best_effort_ts_time:0.04 keyframe:0 frame_type:3 time_base:1/12800',
  '7.1':
    '[vist#0:0/h264 @ 0x563299f3ee00] [dec:h264 @ 0x563299f6b4c0] decoder -> pts:512 pts_time:0.04 pkt_dts:512 pkt_dts_time:0.04 duration:512 duration_time:0.04 keyframe:0 frame_type:3 time_base:1/12800',
};
const muxed = {
  '4.1': 'muxer <- type:video pkt_pts:1 pkt_pts_time:0.04 pkt_dts:1 pkt_dts_time:0.04 size:9216',
  '5.1':
    'muxer <- type:video pkt_pts:1 pkt_pts_time:0.04 pkt_dts:1 pkt_dts_time:0.04 duration:1 duration_time:0.04 size:9216',
  '7.1':
    '[vost#0:0/rawvideo @ 0x564039722080] muxer <- pts:11 pts_time:0.44 dts:11 dts_time:0.44 duration:1 duration_time:0.04 size:9216 latency(total:4.903ms, demux-decode: 0.413ms/8%, decode 1.382ms/28%, decode-filter: 2.265ms/46%, filter 0.433ms/8%, encode 0.354ms/7%)',
};

describe('-debug_ts lines of ffmpeg 4.1, 5.1 and 7.1', () => {
  it.each(['4.1', '5.1', '7.1'] as const)('reads %s', (version) => {
    expect(demuxedPacket(demuxed[version])).toEqual({
      stream: version === '7.1' ? '0:0' : '0',
      pts: 1536,
      ptsSeconds: 0.12,
      dts: -512,
      dtsSeconds: -0.04,
    });
    expect(decodedFrame(decoded[version])).toEqual({ pts: 512, seconds: 0.04 });
    expect(muxedSize(muxed[version])).toBe(9216);
  });

  it('reads packets and frames without a timestamp', () => {
    const packet = demuxedPacket(
      'demuxer+ffmpeg -> ist_index:0:0 type:video pkt_pts:NOPTS pkt_pts_time:NOPTS pkt_dts:0 pkt_dts_time:0 duration:1 duration_time:0.04 off:0 off_time:0',
    );
    expect(packet).toMatchObject({ pts: null, ptsSeconds: null, dts: 0, dtsSeconds: 0 });
    expect(decodedFrame('decoder -> pts:NOPTS pts_time:NOPTS pkt_dts:0')).toEqual({
      pts: null,
      seconds: null,
    });
  });

  it('reads a line another thread wrote into the middle of a header line (ffmpeg 7.1)', () => {
    const glued =
      '  Stream #0:0(und): Video: rawvideo (RGB[24] / 0x18424752), rgb24(pc, gbr/unknown/unknown, progressive), 192x144, q=2-31, 16588 kb/sdecoder -> pts:2560 pts_time:0.2 pkt_dts:2560 pkt_dts_time:0.2 duration:512 duration_time:0.04 keyframe:0 frame_type:2 time_base:1/12800';
    expect(decodedFrame(glued)).toEqual({ pts: 2560, seconds: 0.2 });
    const afterFragment =
      ': Video: rawvideo (RGB[24] / 0x18424752), rgb24(pc, gbr/unknown/unknown, progressive), 192x144, q=2-31, 132710 kb/s, 200 fps, demuxer+ffmpeg -> ist_index:0:0 type:video pkt_pts:123 pkt_pts_time:0.615 pkt_dts:123 pkt_dts_time:0.615 duration:1 duration_time:0.005 off:0 off_time:0';
    expect(demuxedPacket(afterFragment)).toMatchObject({ stream: '0:0', pts: 123 });
  });

  it('leaves the other lines alone', () => {
    const others = [
      '[vist#0:0/h264 @ 0x56508088dd40] demuxer -> ist_index:0:0 type:video pkt_pts:0 pkt_pts_time:0 pkt_dts:-1024 pkt_dts_time:-0.08 duration:512 duration_time:0.04',
      '[vist#0:0/h264 @ 0x56508088dd40] demuxer+tsfixup -> ist_index:0:0 type:video pkt_pts:0 pkt_pts_time:0 pkt_dts:-1024 pkt_dts_time:-0.08 duration:512 duration_time:0.04',
      'demuxer+ffmpeg -> ist_index:0:1 type:audio pkt_pts:0 pkt_pts_time:0 pkt_dts:0 pkt_dts_time:0 off:0 off_time:0',
      '[vost#0:0/rawvideo @ 0x5634b7267f00] encoder <- type:video frame_pts:1 frame_pts_time:0.04 time_base:1/25',
      '[vf#0:0 @ 0x5634b7297a00] filter_raw -> pts:512 pts_time:0.04 time_base:1/12800',
      'filter -> pts:1 pts_time:0.04 exact:1.000000 time_base:1/25',
    ];
    for (const line of others) {
      expect(demuxedPacket(line), line).toBeNull();
      expect(decodedFrame(line), line).toBeNull();
      expect(muxedSize(line), line).toBeNull();
    }
  });

  it('names the stream of a corrupt packet', () => {
    expect(corruptPacketStream('[mov,mp4 @ 0x55] corrupt input packet in stream 0')).toBe('0');
    expect(corruptPacketStream('Input #0, mov,mp4')).toBeNull();
  });
});
