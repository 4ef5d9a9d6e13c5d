/**
 * Spreadsheets and folders spell the same subject and clip differently: CASME II 'Subject' '01'
 * is folder 'sub01', SAMM '006' is '6' in the composite, SMIC 's01' is folder 's1', CAS(ME)^3
 * 'spNO.1'. Keys compare them: letters lower-cased, every number without leading zeros.
 */
export function subjectKey(subject: string): string {
  const digits = subject.match(/\d+/g);
  if (digits && digits.length === 1) return String(Number(digits[0]));
  return normaliseNumbers(subject);
}

export function clipKey(clip: string): string {
  return normaliseNumbers(clip);
}

function normaliseNumbers(text: string): string {
  return text
    .trim()
    .toLowerCase()
    .replace(/\d+/g, (digits) => String(Number(digits)));
}

/** The composite's database names for a dataset kind (undefined: any database). */
export function databaseOfKind(kind: string): string | undefined {
  if (kind.startsWith('casme2')) return 'casme2';
  if (kind === 'samm') return 'samm';
  if (kind === 'smic-hs') return 'smic';
  if (kind.startsWith('casme3')) return 'casme3';
  return undefined;
}

/** 'CASME II', 'casme_2', 'casmeii' → 'casme2'; 'SMIC-HS' → 'smic'. */
export function databaseKey(db: string): string {
  const key = db.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (key === 'casmeii' || key === 'casme2') return 'casme2';
  if (key === 'casme3' || key === 'casmeiii') return 'casme3';
  if (key.startsWith('smic')) return 'smic';
  return key;
}
