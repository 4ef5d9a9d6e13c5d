import type { DatasetKind } from '../../../shared/domain';
import type { DatasetSummary } from '../../../shared/contract/dataset';

/** Each dataset's own emotion set, as its spreadsheets write it. */
const NATIVE_EMOTIONS: Partial<Record<DatasetKind, string[]>> = {
  casme2: ['happiness', 'disgust', 'repression', 'surprise', 'fear', 'sadness', 'others'],
  'casme2-cropped': ['happiness', 'disgust', 'repression', 'surprise', 'fear', 'sadness', 'others'],
  samm: ['Anger', 'Contempt', 'Disgust', 'Fear', 'Happiness', 'Sadness', 'Surprise', 'Other'],
  'smic-hs': ['positive', 'negative', 'surprise'],
  'casme3-a': ['happy', 'disgust', 'fear', 'surprise', 'sad', 'anger', 'others'],
};

const GENERIC = [
  'happiness',
  'disgust',
  'repression',
  'surprise',
  'fear',
  'sadness',
  'anger',
  'contempt',
  'others',
];

/** The emotion choices of a dataset: its native set plus any label its folders carry. */
export function emotionChoices(dataset: DatasetSummary): string[] {
  const fromFolders = dataset.clips
    .map((clip) => clip.folderEmotion)
    .filter((e): e is string => !!e);
  return [...new Set([...(NATIVE_EMOTIONS[dataset.kind] ?? GENERIC), ...fromFolders])];
}
