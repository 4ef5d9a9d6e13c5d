import { describe, expect, it } from 'vitest';
import { ByteLru } from './frame-cache';

describe('ByteLru frame cache', () => {
  it('stays under its byte budget, evicting the least recently used first', () => {
    const cache = new ByteLru<string>(1000);
    for (let i = 0; i < 50; i++) {
      cache.set(`f${i}`, `frame ${i}`, 90 + (i % 3) * 40);
      expect(cache.bytes).toBeLessThanOrEqual(1000);
    }
    expect(cache.has('f0')).toBe(false);
    expect(cache.has('f49')).toBe(true);
  });

  it('keeps a frame that is read again and drops the older ones', () => {
    const cache = new ByteLru<number>(300);
    cache.set('a', 1, 100);
    cache.set('b', 2, 100);
    cache.set('c', 3, 100);
    expect(cache.get('a')).toBe(1);
    cache.set('d', 4, 100);
    expect([cache.has('a'), cache.has('b'), cache.has('c'), cache.has('d')]).toEqual([
      true,
      false,
      true,
      true,
    ]);
  });

  it('refuses an entry larger than the whole budget and shrinks when the budget does', () => {
    const cache = new ByteLru<number>(300);
    cache.set('huge', 1, 301);
    expect(cache.size).toBe(0);
    cache.set('a', 1, 100);
    cache.set('b', 2, 100);
    cache.set('a', 3, 150);
    expect(cache.bytes).toBe(250);
    cache.budgetBytes = 160;
    expect(cache.bytes).toBe(150);
    expect(cache.get('a')).toBe(3);
  });
});
