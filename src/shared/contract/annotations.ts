import { z } from 'zod';
import { request } from './define';
import { annotationFields, clipId } from './schemas';
import type { ClipAnnotation } from '../domain';

export interface ClipAnnotations {
  /** The coder's own annotation, null when the clip is not yet coded. */
  own: ClipAnnotation | null;
  /** The dataset's official annotation (imported), kept apart and never edited. */
  imported: ClipAnnotation | null;
}

export const annotationRequests = {
  'annotations.get': request(z.object({ clipId })).returns<ClipAnnotations>(),
  'annotations.save': request(z.object({ clipId, fields: annotationFields })).returns<{
    savedAt: string;
  }>(),
  'annotations.list': request(z.object({})).returns<ClipAnnotation[]>(),
};
