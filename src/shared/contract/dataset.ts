import { z } from 'zod';
import { request } from './define';
import { clipId, filePath } from './schemas';
import type { DatasetKind, Problem } from '../domain';

export interface ClipSummary {
  id: string;
  subject: string;
  name: string;
  fps: number;
  frameCount: number;
  width?: number;
  height?: number;
  kind: 'images' | 'video';
  /** The number in each frame's file name, per index (image sequences). */
  frameNumbers?: number[];
  sourceKind?: DatasetKind;
  folderEmotion?: string;
  /** Per frame index, ms from the first frame: videos with a variable frame rate only. */
  frameTimesMs?: number[];
  problems: Problem[];
}

export interface DatasetSummary {
  root: string;
  name: string;
  kind: DatasetKind;
  fps: number;
  subjects: string[];
  clips: ClipSummary[];
  problems: Problem[];
}

export const datasetRequests = {
  /** Open a dataset folder (the web host and CLI accept any local path the user names). */
  'dataset.open': request(z.object({ path: filePath })).returns<DatasetSummary>(),
  'dataset.current': request(z.object({})).returns<DatasetSummary | null>(),
  'dataset.clip': request(z.object({ clipId })).returns<ClipSummary>(),
};
