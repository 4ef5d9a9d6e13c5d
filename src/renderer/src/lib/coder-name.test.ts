import { describe, expect, it } from 'vitest';
import { coderName } from '../../../shared/contract/schemas';
import { coderNameProblem, plainRefusal } from './coder-name';

describe('coder name checked beside the field', () => {
  it('accepts what the backend accepts and refuses the rest, in plain words', () => {
    const names = ['Ana María', 'coder_2', ' x ', '', '   ', 'a'.repeat(64), 'a'.repeat(65)];
    names.push('é'.repeat(27), '张'.repeat(18), '张'.repeat(17), 'a/b', 'x'.repeat(200));
    for (const name of names) {
      const problem = coderNameProblem(name);
      expect(problem === null, name).toBe(coderName.safeParse(name).success);
      if (problem) expect(problem).not.toMatch(/Too big|expected|string/);
    }
  });

  it('drops the request and field names from a backend refusal', () => {
    expect(plainRefusal('annotations.setCoder: coder: letters only')).toBe('letters only');
  });
});
