import { z } from 'zod';
import { THREE_CLASSES } from '../domain';

/** Argument pieces reused across the service contracts. */
export const clipId = z.string().min(1).max(1024);
export const frameIndex = z.number().int().min(0).max(10_000_000);
/** The longest coder name once percent-encoded into its file name (the file system's limit is
 *  255 bytes, and backups add suffixes to it). */
const MAX_CODER_FILE_NAME_BYTES = 160;

/**
 * A coder's name, as typed: trimmed and composed (NFC, so a decomposed "é" is the same coder as
 * a composed one), and short enough to be a file name once percent-encoded.
 */
export const coderName = z
  .string()
  .transform((name) => name.normalize('NFC').trim())
  .pipe(
    z
      .string()
      .min(1, 'a coder name cannot be blank')
      .max(64)
      .regex(/^[\p{L}\p{N}_. -]+$/u, 'letters, digits, space, dot, dash or underscore')
      .refine((name) => encodeURIComponent(name).length <= MAX_CODER_FILE_NAME_BYTES, {
        message:
          `too long for a file name: at most ${MAX_CODER_FILE_NAME_BYTES} bytes once encoded ` +
          '(about 26 accented or 17 CJK letters; 64 plain ones)',
      }),
  );
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

/**
 * The coder a window shows, on requests that read or write a coder's annotations: each window
 * keeps its own coder (two browser tabs may code as two people). The app's current coder when absent.
 */
export const windowCoder = coderName.optional();

/** Which stored version an edit was made on: its save is refused when another came since. */
export const saveBasis = z
  .object({
    /** The expression's `revision` when the edit began (0: it was not coded). */
    revision: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    /** The window that made the edit (an id it chose): its own saves never conflict with it. */
    window: z.string().min(1).max(64),
  })
  .strict();

/** Which of a clip's expressions (1, 2 …; a long recording can hold several); 1 when absent. */
export const expressionNumber = z.number().int().min(1).max(10_000).optional();
