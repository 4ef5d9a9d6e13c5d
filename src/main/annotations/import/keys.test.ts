import { describe, expect, it } from 'vitest';
import { decodeText, parseCsv } from './csv';
import { clipKey, databaseKey, subjectKey } from './keys';

describe('subject and clip keys', () => {
  it('equates the datasets’ spellings of a subject', () => {
    expect(subjectKey('01')).toBe(subjectKey('sub01'));
    expect(subjectKey('006')).toBe(subjectKey('6'));
    expect(subjectKey('s01')).toBe(subjectKey('s1'));
    expect(subjectKey('spNO.1')).toBe('1');
    expect(subjectKey('sub02')).not.toBe(subjectKey('sub20'));
  });

  it('equates clip names up to case and leading zeros', () => {
    expect(clipKey('s01_ne_01')).toBe(clipKey('s1_ne_01'));
    expect(clipKey('EP02_01f')).toBe(clipKey('ep02_01F'));
    expect(clipKey('006_1_2')).not.toBe(clipKey('006_1_3'));
  });

  it('names databases one way', () => {
    expect(databaseKey('CASME II')).toBe('casme2');
    expect(databaseKey('SMIC-HS')).toBe('smic');
    expect(databaseKey('samm')).toBe('samm');
  });
});

describe('CSV', () => {
  it('parses quoted fields with delimiters, quotes and line breaks', () => {
    expect(parseCsv('a,"b, c","say ""hi"""\r\n"multi\nline",x,\n')).toEqual([
      ['a', 'b, c', 'say "hi"'],
      ['multi\nline', 'x', ''],
    ]);
    expect(parseCsv('a;b;c\n1;2;3')).toEqual([
      ['a', 'b', 'c'],
      ['1', '2', '3'],
    ]);
    expect(parseCsv('a\tb\n1\t2\n')).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
  });

  it('decodes UTF-16 with a byte-order mark', () => {
    const bytes = Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      Buffer.from('Subject,Clip', 'utf16le'),
    ]);
    expect(decodeText(bytes, 'x.csv')).toEqual({ text: 'Subject,Clip', encoding: 'utf-16le' });
  });
});
