import { describe, expect, it } from 'vitest';
import { jsonSyntaxDetail } from './json-error';

function parseError(text: string): unknown {
  try {
    JSON.parse(text);
  } catch (error) {
    return error;
  }
  throw new Error('parsed');
}

describe('jsonSyntaxDetail', () => {
  it('says where the text is broken without quoting it', () => {
    for (const text of [
      'SECRET_API_KEY=abc123',
      '{"a": SECRET}',
      '{"a": 1,\n "b" 2}',
      '{"a": "SECRET',
    ]) {
      const detail = jsonSyntaxDetail(parseError(text));
      expect(detail).not.toMatch(/SECRET|abc123/);
      expect(detail.length).toBeGreaterThan(0);
    }
    expect(jsonSyntaxDetail(parseError('{"a": 1'))).toMatch(/ends too early|character|line/);
  });
});
