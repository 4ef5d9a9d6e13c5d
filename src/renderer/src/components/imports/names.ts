import type { AnnotationField, ImportFormat } from '../../../../shared/contract/annotations';

const FORMAT_NAMES: Record<ImportFormat, string> = {
  casme2: 'CASME II coding sheet',
  samm: 'SAMM coding sheet',
  casme3: 'CAS(ME)^3 label sheet',
  'megc2019-composite': 'MEGC2019 composite list',
  mapped: 'table (columns mapped by hand)',
};

export function formatName(format: ImportFormat): string {
  return FORMAT_NAMES[format];
}

export const FIELD_LABELS: Record<AnnotationField, string> = {
  db: 'source dataset',
  subject: 'subject',
  clip: 'clip',
  onset: 'onset frame',
  apex: 'apex frame',
  offset: 'offset frame',
  emotion: 'emotion',
  threeClass: '3-class label',
  aus: 'action units',
  notes: 'notes',
};
