import { describe, expect, it } from 'vitest';
import { detectLayout, resolveMapping, suggestMapping } from './columns';
import { AnnotationFileError } from './table';

describe('header detection', () => {
  it('finds a header below title rows (SAMM puts it on row 14) and names the format', () => {
    const rows: string[][] = [
      ['SAMM Dataset - Master FACS Codes'],
      [],
      ['Symbol Key:'],
      ['"/" = or'],
      ...Array.from({ length: 9 }, () => [] as string[]),
      [
        'Subject',
        'Filename',
        'Inducement Code',
        'Onset Frame',
        'Apex Frame',
        'Offset Frame',
        'Duration',
        'Micro',
        'Action Units',
        'Estimated Emotion',
        'Objective Classes',
        'Notes',
      ],
      ['006', '006_1_2', '1', '5562', '5588', '5632', '71', 'Micro - 1/2', '4+7', 'Anger', '3', ''],
    ];
    const layout = detectLayout(rows, 'samm.xlsx');
    expect(layout?.headerRow).toBe(14);
    expect(layout?.format).toBe('samm');
    expect(layout?.suggested).toEqual({
      subject: 'Subject',
      clip: 'Filename',
      onset: 'Onset Frame',
      apex: 'Apex Frame',
      offset: 'Offset Frame',
      emotion: 'Estimated Emotion',
      aus: 'Action Units',
      notes: 'Notes',
    });
  });

  it('tells CASME II and CAS(ME)^3 apart by their headers, wherever the columns are', () => {
    const casme2 = [
      '',
      'Subject',
      'Filename',
      '',
      'OnsetFrame',
      'ApexFrame',
      'OffsetFrame',
      '',
      'Action Units',
      'Estimated Emotion',
    ];
    expect(detectLayout([casme2], 'c2.xlsx')?.format).toBe('casme2');
    expect(detectLayout([casme2], 'c2.xlsx')?.suggested.onset).toBe('OnsetFrame');
    const casme3 = [
      'Subject',
      'Filename',
      'Onset',
      'Apex',
      'Offset',
      'AU',
      'Objective class',
      'emotion',
    ];
    const layout = detectLayout([casme3], 'c3.xlsx');
    expect(layout?.format).toBe('casme3');
    expect(layout?.suggested).toMatchObject({ aus: 'AU', emotion: 'emotion', apex: 'Apex' });
    expect(layout?.suggested.threeClass).toBeUndefined();
  });

  it('recognises the headerless MEGC2019 composite list', () => {
    const layout = detectLayout(
      [
        ['casme2', 'sub01', 'EP02_01f', '1'],
        ['samm', '6', '006_1_2', '0'],
      ],
      'x.csv',
    );
    expect(layout).toMatchObject({ format: 'megc2019-composite', headerRow: null });
    expect(layout?.suggested).toEqual({
      db: 'db',
      subject: 'subject',
      clip: 'clip',
      threeClass: 'label',
    });
  });

  it('finds nothing in a table without a header it knows', () => {
    expect(
      detectLayout(
        [
          ['a', 'b', 'c'],
          ['1', '2', '3'],
        ],
        'x.csv',
      ),
    ).toBeNull();
  });

  it('suggests mappings from common header spellings', () => {
    expect(
      suggestMapping(['Participant', 'Video', 'Start', 'Peak', 'End', 'AUs', '3-class']),
    ).toEqual({
      subject: 'Participant',
      clip: 'Video',
      onset: 'Start',
      apex: 'Peak',
      offset: 'End',
      aus: 'AUs',
      threeClass: '3-class',
    });
  });

  it('names the missing header and lists the ones found', () => {
    expect(() =>
      resolveMapping({ clip: 'Clip', onset: 'Begin' }, ['Clip', 'Start'], 'f.csv'),
    ).toThrow(/no column named onset → 'Begin'; the header row has: 'Clip', 'Start'/);
    expect(() => resolveMapping({ onset: 'Start' }, ['Clip', 'Start'], 'f.csv')).toThrow(
      AnnotationFileError,
    );
    expect(resolveMapping({ clip: 'clip ', onset: 'START' }, ['Clip', 'Start'], 'f.csv')).toEqual({
      clip: 0,
      onset: 1,
    });
  });
});
