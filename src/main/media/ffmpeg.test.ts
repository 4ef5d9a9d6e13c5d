import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { locateFfmpeg, passEveryFrame } from './ffmpeg';

describe('passEveryFrame', () => {
  it('gives the located ffmpeg an option it takes without a deprecation warning', () => {
    const run = spawnSync(
      locateFfmpeg().path,
      ['-hide_banner', '-f', 'lavfi', '-i', 'testsrc=size=32x24:rate=10:duration=0.3']
        .concat(passEveryFrame())
        .concat(['-f', 'null', '-']),
      { encoding: 'utf8', timeout: 30_000 },
    );
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).not.toMatch(/deprecated/i);
  });
});
