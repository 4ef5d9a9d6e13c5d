import { z } from 'zod';
import { THREE_CLASSES } from '../domain';

/** Argument pieces reused across the service contracts. */
export const clipId = z.string().min(1).max(1024);
export const frameIndex = z.number().int().min(0).max(10_000_000);
export const coderName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[\p{L}\p{N}_. -]+$/u, 'letters, digits, space, dot, dash or underscore');
export const threeClass = z.enum(THREE_CLASSES);
export const filePath = z.string().min(1).max(4096);

export const auCode = z.object({
  au: z.number().int().min(0).max(100),
  side: z.enum(['L', 'R']).optional(),
  intensity: z.enum(['A', 'B', 'C', 'D', 'E']).optional(),
  raw: z.string().max(64),
});

/** Longest notes and action-unit text an annotation keeps (the form stops typing there). */
export const NOTES_MAX_LENGTH = 10_000;
export const AUS_TEXT_MAX_LENGTH = 512;

export const annotationFields = z.object({
  onset: frameIndex.nullable(),
  apex: frameIndex.nullable(),
  offset: frameIndex.nullable(),
  emotion: z.string().max(64).nullable(),
  threeClass: threeClass.nullable(),
  aus: z.array(auCode).max(64),
  ausRaw: z.string().max(AUS_TEXT_MAX_LENGTH),
  flags: z.object({ blink: z.boolean(), occlusion: z.boolean(), badFrames: z.boolean() }),
  notes: z.string().max(NOTES_MAX_LENGTH),
});
