import { describe, expect, it } from 'vitest';
import { DEFAULT_KEYS } from '../../../shared/contract/coding';
import { displayKey, keymapOf, keyOf } from './keys';

function press(init: Partial<KeyboardEvent>): KeyboardEvent {
  return {
    ctrlKey: false,
    altKey: false,
    shiftKey: false,
    metaKey: false,
    code: '',
    key: '',
    ...init,
  } as KeyboardEvent;
}

describe('key bindings', () => {
  it('names a press by modifiers and the physical letter or digit', () => {
    expect(keyOf(press({ key: 'I', code: 'KeyI', shiftKey: true }))).toBe('Shift+i');
    expect(keyOf(press({ key: '!', code: 'Digit1', shiftKey: true }))).toBe('Shift+1');
    expect(
      keyOf(press({ key: 'ArrowRight', code: 'ArrowRight', ctrlKey: true, shiftKey: true })),
    ).toBe('Ctrl+Shift+ArrowRight');
    expect(keyOf(press({ key: ' ', code: 'Space' }))).toBe('Space');
    expect(keyOf(press({ key: ']', code: 'BracketRight' }))).toBe(']');
  });

  it('gives every default key exactly one action', () => {
    const all = Object.values(DEFAULT_KEYS).flat();
    expect(new Set(all).size).toBe(all.length);
    expect(keymapOf(DEFAULT_KEYS).get('Shift+a')).toBe('acceptApex');
    expect(keymapOf(DEFAULT_KEYS).get('Ctrl+y')).toBe('redo');
  });

  it('shows arrows as symbols', () => {
    expect(displayKey('Shift+ArrowLeft')).toBe('Shift+←');
  });
});
