import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { THREE_CLASSES } from '../../shared/domain';
import { jsonSyntaxDetail } from '../app/json-error';

/** The model card beside an .onnx file (see models/README.md). Checked before any work. */
const cardSchema = z.object({
  id: z.string().min(1),
  architecture: z.string(),
  classes: z.array(z.string()).length(THREE_CLASSES.length),
  input: z.object({
    name: z.string(),
    shape: z.array(z.number().nullable()),
    layout: z.string().optional(),
    normalisation: z.unknown().optional(),
  }),
  output: z.object({
    name: z.string(),
    shape: z.array(z.number().nullable()),
    kind: z.enum(['probabilities', 'logits']),
  }),
  training: z
    .object({ mapDigests: z.array(z.string()).nullable().optional() })
    .passthrough()
    .optional(),
  loso: z.object({ uf1: z.number(), uar: z.number() }).passthrough().nullable().optional(),
  sha256: z.string().optional(),
});

export type ModelCard = z.infer<typeof cardSchema>;

export function cardPathFor(modelPath: string): string {
  return modelPath.replace(/\.onnx$/i, '') + '.card.json';
}

export async function readModelCard(modelPath: string): Promise<ModelCard> {
  const cardPath = cardPathFor(modelPath);
  const text = await readFile(cardPath, 'utf8').catch(() => {
    throw new Error(`${cardPath}: model card not found (each .onnx model needs its card)`);
  });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${cardPath}: not valid JSON (${jsonSyntaxDetail(error)})`, { cause: error });
  }
  const parsed = cardSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new Error(`${cardPath}: not a valid model card (${problems.join('; ')})`);
  }
  const unknownClass = parsed.data.classes.find((name, i) => name !== THREE_CLASSES[i]);
  if (unknownClass) {
    throw new Error(`${cardPath}: classes must be ${THREE_CLASSES.join(', ')} in that order`);
  }
  return parsed.data;
}

/**
 * A map's fingerprint as the model sees it, as models/ahmsa/data.py `map_digest` writes them into
 * the card: each channel stretched to [0, 1] over its minimum and maximum and rounded to 256
 * levels (so a copy saved at another scale matches); SHA-256 of those bytes, first 16 hex digits.
 * The arithmetic is float64 in the same order as NumPy's, so both give the same levels.
 */
export function mapDigest(values: Float32Array): string {
  const plane = values.length / 3;
  const levels = new Uint8Array(values.length);
  for (let channel = 0; channel < 3; channel++) {
    const start = channel * plane;
    let low = Infinity;
    let high = -Infinity;
    for (let i = start; i < start + plane; i++) {
      low = Math.min(low, values[i]);
      high = Math.max(high, values[i]);
    }
    const span = Math.max(high - low, 1e-6);
    for (let i = start; i < start + plane; i++) {
      levels[i] = Math.floor(((values[i] - low) / span) * 255 + 0.5);
    }
  }
  return createHash('sha256').update(levels).digest('hex').slice(0, 16);
}

/** Whether the card's model was trained on this map (only cards that list their maps can say). */
export function trainedOn(card: ModelCard): (values: Float32Array) => boolean {
  const digests = new Set(card.training?.mapDigests ?? []);
  return (values) => digests.size > 0 && digests.has(mapDigest(values));
}
