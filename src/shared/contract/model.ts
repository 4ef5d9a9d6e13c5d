import { z } from 'zod';
import { request } from './define';
import { framePair } from './flow';
import type { ExecutionProvider, ThreeClass } from '../domain';

export interface ModelInfo {
  id: string;
  path: string;
  classes: string[];
  /** The execution provider the session runs on. */
  provider: ExecutionProvider;
  /** Why CUDA was not used, when it was asked for and not available. */
  providerNote?: string;
  loso: { uf1: number; uar: number } | null;
}

export interface ClassifyResult {
  clipId: string;
  onset: number;
  apex: number;
  probabilities: Record<ThreeClass, number>;
  predicted: ThreeClass;
  provider: ExecutionProvider;
  modelId: string;
  /** Why the model input may be less reliable (several faces, face near the border, …). */
  warnings: string[];
  /** Milliseconds per stage: decode, flow, maps, inference. */
  timings: Record<string, number>;
}

export const modelRequests = {
  'model.info': request(z.object({})).returns<ModelInfo>(),
  'model.classifyClip': request(framePair).returns<ClassifyResult>(),
};
