/**
 * BIFF8 records (the Workbook stream of an Excel 97–2003 .xls file, [MS-XLS] 2.1.4) and the
 * strings stored in them, including strings that run on into CONTINUE records.
 */

export const RECORD = {
  bof: 0x0809,
  eof: 0x000a,
  filePass: 0x002f,
  dateMode: 0x0022,
  boundSheet: 0x0085,
  sst: 0x00fc,
  continue: 0x003c,
  format: 0x041e,
  xf: 0x00e0,
  labelSst: 0x00fd,
  label: 0x0204,
  richString: 0x00d6,
  number: 0x0203,
  rk: 0x027e,
  mulRk: 0x00bd,
  boolErr: 0x0205,
  formula: 0x0006,
  string: 0x0207,
} as const;

export interface BiffRecord {
  type: number;
  /** Where the record's header starts in the stream. */
  offset: number;
  data: DataView;
}

/** The records of `stream` from `start` on, in order. Stops at the end of the stream. */
export function* readRecords(stream: Uint8Array, start = 0): Generator<BiffRecord> {
  let offset = start;
  while (offset + 4 <= stream.length) {
    const header = new DataView(stream.buffer, stream.byteOffset + offset, 4);
    const type = header.getUint16(0, true);
    const size = header.getUint16(2, true);
    if (offset + 4 + size > stream.length)
      throw new RangeError('a record runs past the end of the file');
    yield { type, offset, data: new DataView(stream.buffer, stream.byteOffset + offset + 4, size) };
    offset += 4 + size;
  }
}

/**
 * Reads across a record and the CONTINUE records after it. Character data split between two
 * records restarts with one flag byte saying whether the rest is 8-bit or UTF-16.
 */
export class ContinuedReader {
  private segment = 0;

  constructor(
    private readonly segments: DataView[],
    private position = 0,
  ) {}

  u8(): number {
    while (this.left() === 0) this.nextSegment();
    return this.segments[this.segment].getUint8(this.position++);
  }

  u16(): number {
    return this.u8() | (this.u8() << 8);
  }

  i32(): number {
    return this.u16() | (this.u16() << 16);
  }

  skip(count: number): void {
    for (let remaining = count; remaining > 0;) {
      while (this.left() === 0) this.nextSegment();
      const step = Math.min(remaining, this.left());
      this.position += step;
      remaining -= step;
    }
  }

  /** An XLUnicodeRichExtendedString (the SST's and the STRING record's form). */
  richExtendedString(): string {
    const count = this.u16();
    const flags = this.u8();
    const runs = flags & 0x08 ? this.u16() : 0;
    const extension = flags & 0x04 ? this.i32() : 0;
    const text = this.characters(count, (flags & 0x01) !== 0);
    this.skip(runs * 4 + extension);
    return text;
  }

  private characters(count: number, wide: boolean): string {
    const units: number[] = [];
    let twoBytes = wide;
    while (units.length < count) {
      if (this.left() === 0) {
        this.nextSegment();
        twoBytes = (this.u8() & 0x01) !== 0;
      }
      units.push(twoBytes ? this.u16() : this.u8());
    }
    return decodeUnits(units);
  }

  private left(): number {
    return this.segments[this.segment].byteLength - this.position;
  }

  private nextSegment(): void {
    if (this.segment + 1 >= this.segments.length)
      throw new RangeError('a string runs past its record');
    this.segment++;
    this.position = 0;
  }
}

/** An XLUnicodeString inside one record (LABEL, FORMAT): 16-bit count, flags, characters. */
export function unicodeString(data: DataView, at: number): string {
  return new ContinuedReader([data], at).richExtendedString();
}

/** A ShortXLUnicodeString (sheet names): 8-bit count, flags, characters. */
export function shortUnicodeString(data: DataView, at: number): string {
  const count = data.getUint8(at);
  const wide = (data.getUint8(at + 1) & 0x01) !== 0;
  const units: number[] = [];
  for (let i = 0; i < count; i++) {
    units.push(wide ? data.getUint16(at + 2 + i * 2, true) : data.getUint8(at + 2 + i));
  }
  return decodeUnits(units);
}

function decodeUnits(units: number[]): string {
  let text = '';
  for (let i = 0; i < units.length; i += 4096) {
    text += String.fromCharCode(...units.slice(i, i + 4096));
  }
  return text;
}

/** An RK number: a 30-bit integer or the top 30 bits of a double, optionally divided by 100. */
export function rkNumber(rk: number): number {
  let value: number;
  if (rk & 0x02) {
    value = rk >> 2;
  } else {
    const bits = new DataView(new ArrayBuffer(8));
    bits.setUint32(4, rk & 0xfffffffc, true);
    value = bits.getFloat64(0, true);
  }
  return rk & 0x01 ? value / 100 : value;
}
