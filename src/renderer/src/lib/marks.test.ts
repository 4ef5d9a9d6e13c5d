import { describe, expect, it } from 'vitest';
import { setMark } from './marks';

describe('setMark', () => {
  const empty = { onset: null, apex: null, offset: null };

  it('sets marks in any order that keeps onset ≤ apex ≤ offset', () => {
    const withApex = setMark(empty, 'apex', 30);
    expect(withApex).toEqual({ onset: null, apex: 30, offset: null });
    expect(setMark(withApex as typeof empty, 'onset', 30)).toEqual({
      onset: 30,
      apex: 30,
      offset: null,
    });
  });

  it('refuses a mark that breaks the order, with the reason', () => {
    expect(setMark({ onset: 20, apex: null, offset: null }, 'apex', 10)).toMatch(
      /onset ≤ apex ≤ offset/,
    );
    expect(setMark({ onset: 20, apex: 30, offset: 40 }, 'offset', 25)).toMatch(/order/);
  });
});
