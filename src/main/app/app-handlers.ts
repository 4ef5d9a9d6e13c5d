import { readFileSync } from 'node:fs';
import type { appRequests } from '../../shared/contract/app';
import type { HandlersFor } from './handler';
import { locateFfmpeg } from '../media/ffmpeg';
import { projectFile } from './paths';

export function appVersion(): string {
  const manifest = JSON.parse(readFileSync(projectFile('package.json'), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}

export const appHandlers: HandlersFor<typeof appRequests> = {
  'app.info': async (_args, ctx) => {
    let ffmpeg;
    try {
      ffmpeg = locateFfmpeg();
    } catch (error) {
      ffmpeg = { error: (error as Error).message };
    }
    return { version: appVersion(), host: ctx.host, ffmpeg, dataFolder: ctx.dataFolder };
  },
};
