import { THREE_CLASSES, type ThreeClass } from './domain';

/**
 * The MEGC2019 composite mapping (DATASETS.md): negative = repression, anger, contempt, disgust,
 * fear, sadness; positive = happiness; surprise = surprise; 'others' are not in the 3-class task.
 * Each dataset spells them its own way (CAS(ME)^3 'sad', 'happy'; SAMM capitalised).
 */
const NATIVE_TO_THREE_CLASS: Record<string, ThreeClass> = {
  repression: 'negative',
  anger: 'negative',
  angry: 'negative',
  contempt: 'negative',
  disgust: 'negative',
  fear: 'negative',
  sadness: 'negative',
  sad: 'negative',
  negative: 'negative',
  happiness: 'positive',
  happy: 'positive',
  positive: 'positive',
  surprise: 'surprise',
};

/** The 3-class label of a native emotion; null for 'others' and labels outside the task. */
export function threeClassOfEmotion(emotion: string | null | undefined): ThreeClass | null {
  if (!emotion) return null;
  return NATIVE_TO_THREE_CLASS[emotion.trim().toLowerCase()] ?? null;
}

/** A 3-class cell as written: the composite's 0/1/2, or a class name. */
export function parseThreeClass(value: string): ThreeClass | null {
  const text = value.trim().toLowerCase();
  if (/^[0-2](\.0+)?$/.test(text)) return THREE_CLASSES[Number(text)];
  return (THREE_CLASSES as readonly string[]).includes(text) ? (text as ThreeClass) : null;
}
