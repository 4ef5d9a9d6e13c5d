import { z } from 'zod';
import { request } from './define';

export interface FfmpegInfo {
  path: string;
  /** Where it was found: MER_FFMPEG, ffmpeg-static, @ffmpeg-installer/ffmpeg or PATH. */
  source: string;
  version: string;
}

export interface AppInfo {
  version: string;
  host: 'electron' | 'web' | 'cli';
  ffmpeg: FfmpegInfo | { error: string };
  dataFolder: string;
}

export const appRequests = {
  'app.info': request(z.object({})).returns<AppInfo>(),
};
