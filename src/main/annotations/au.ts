import type { AuCode } from '../../shared/domain';

export interface ParsedAus {
  aus: AuCode[];
  /** Pieces that name no action unit ('?', 'soft focus'): kept in the raw string, reported here. */
  unparsed: string[];
}

type Side = NonNullable<AuCode['side']>;
type Intensity = NonNullable<AuCode['intensity']>;

// One coded unit: optional 'AU', optional side/asymmetry letter, number, optional intensity.
// L/R = unilateral left/right; A, B, T and U are other datasets' prefixes (asymmetric, bilateral,
// top, unilateral), kept only in raw. 'A/B' after the number is an undecided intensity.
const UNIT = /^(?:AU)?\s*(?:([LRABTU])(?:\/([LRABTU]))?\s*)?(\d{1,3})\s*([A-E](?:\/[A-E])?)?$/i;

/**
 * Parses a FACS action-unit string as the datasets write it: '1+2', 'AU1+AU2', 'L12+R14', 'R4',
 * '4+7+43', 'L10A', '12C', '(R6 or R12)+R15', 'ref(7B)+43', '10A/B', 'A/L12', 'R14 or 17A'.
 * Alternatives ('or') each become an item; the whole string stays in ClipAnnotation.ausRaw.
 */
export function parseAus(raw: string): ParsedAus {
  const aus: AuCode[] = [];
  const unparsed: string[] = [];
  for (const piece of splitUnits(raw)) {
    const code = parseUnit(piece);
    if (code) aus.push(code);
    else unparsed.push(piece);
  }
  return { aus, unparsed };
}

function splitUnits(raw: string): string[] {
  return raw
    .split(/\+|,|;|\bor\b|\band\b/i)
    .map((piece) => (/^\s*ref\s*\(/i.test(piece) ? piece : piece.replace(/[()]/g, '')).trim())
    .filter((piece) => piece.length > 0);
}

function parseUnit(piece: string): AuCode | null {
  const referenced = /^ref\s*\(?\s*(.*?)\s*\)?$/i.exec(piece);
  const body = referenced ? referenced[1] : piece;
  const match = UNIT.exec(body.replace(/\s+/g, ''));
  if (!match) return null;
  const [, prefix, secondPrefix, number, intensity] = match;
  const code: AuCode = { au: Number(number), raw: piece };
  const side = sideOf(prefix, secondPrefix);
  if (side) code.side = side;
  if (intensity && intensity.length === 1) code.intensity = intensity.toUpperCase() as Intensity;
  return code;
}

/** A side only when the coder committed to one: 'L12' → L, 'A/L12' (asymmetric or left) → none. */
function sideOf(prefix: string | undefined, secondPrefix: string | undefined): Side | undefined {
  if (!prefix || secondPrefix) return undefined;
  const letter = prefix.toUpperCase();
  return letter === 'L' || letter === 'R' ? letter : undefined;
}

/** The items written back as one string, e.g. for a CSV: 'L12C+R14'. */
export function formatAus(aus: AuCode[]): string {
  return aus.map((code) => `${code.side ?? ''}${code.au}${code.intensity ?? ''}`).join('+');
}
