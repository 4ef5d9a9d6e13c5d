import type { AuCode } from '../../../shared/domain';

export interface ParsedAus {
  aus: AuCode[];
  invalid: string[];
  /** AUs (with their side) written more than once, e.g. '12' for '12E+12A'. */
  repeated: string[];
}

const TOKEN = /^(?:AU)?([LR])?(\d{1,3})([A-E])?$/i;
const SIDED = /^(?:AU)?(\d{1,3})([LR])([A-E])?$/i;

/**
 * AUs as coders write them: '4+L10+12B', 'AU1, AU2', 'R14C'. Side L/R before or after the
 * number, intensity A–E after it; anything else is reported, never dropped silently.
 */
export function parseAuText(text: string): ParsedAus {
  const aus: AuCode[] = [];
  const invalid: string[] = [];
  for (const raw of text.split(/[+,;\s]+/).filter(Boolean)) {
    const match = TOKEN.exec(raw);
    const sided = match ? null : SIDED.exec(raw);
    if (!match && !sided) {
      invalid.push(raw);
      continue;
    }
    const [au, side, intensity] = match
      ? [match[2], match[1], match[3]]
      : [sided![1], sided![2], sided![3]];
    const number = Number(au);
    if (number > 100) {
      invalid.push(raw);
      continue;
    }
    aus.push({
      au: number,
      ...(side ? { side: side.toUpperCase() as 'L' | 'R' } : {}),
      ...(intensity ? { intensity: intensity.toUpperCase() as AuCode['intensity'] } : {}),
      raw,
    });
  }
  const seen = aus.map((code) => `${code.side ?? ''}${code.au}`);
  const repeated = [...new Set(seen.filter((key, i) => seen.indexOf(key) !== i))];
  return { aus, invalid, repeated };
}

export function formatAu(code: AuCode): string {
  return `${code.side ?? ''}${code.au}${code.intensity ?? ''}`;
}
