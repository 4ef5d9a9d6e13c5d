import type { WorkspaceAction } from '../../../shared/contract/coding';

/**
 * A key press as a binding string: modifiers (Ctrl, Alt, Shift, Meta, in that order) + key.
 * Letters and digits come from the physical key (event.code) so Shift+1 stays '1' and other
 * keyboard layouts keep their bindings; other keys use event.key ('ArrowRight', '[', 'Space').
 */
export function keyOf(event: KeyboardEvent): string {
  let key: string;
  if (/^Key[A-Z]$/.test(event.code)) key = event.code.slice(3).toLowerCase();
  else if (/^Digit\d$/.test(event.code)) key = event.code.slice(5);
  else if (event.key === ' ') key = 'Space';
  else key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
  const modifiers = [
    event.ctrlKey ? 'Ctrl' : '',
    event.altKey ? 'Alt' : '',
    event.shiftKey ? 'Shift' : '',
    event.metaKey ? 'Meta' : '',
  ].filter(Boolean);
  return [...modifiers, key].join('+');
}

/** Modifier keys alone are never a binding. */
export function isModifierOnly(event: KeyboardEvent): boolean {
  return ['Control', 'Alt', 'Shift', 'Meta', 'AltGraph', 'CapsLock'].includes(event.key);
}

/** Key string → action, from the settings' bindings. */
export function keymapOf(
  bindings: Record<WorkspaceAction, string[]>,
): Map<string, WorkspaceAction> {
  const map = new Map<string, WorkspaceAction>();
  for (const [action, keys] of Object.entries(bindings) as Array<[WorkspaceAction, string[]]>) {
    for (const key of keys) map.set(key, action);
  }
  return map;
}

/** Where typed keys belong to the field, not to the workspace. */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (target instanceof HTMLInputElement) {
    // Radio groups keep their arrow keys (Escape leaves them).
    return !['checkbox', 'button', 'submit', 'range'].includes(target.type);
  }
  return false;
}

/** Keys a focused button or checkbox needs for itself (activation). */
export function isActivationKey(target: EventTarget | null, key: string): boolean {
  const activatable =
    target instanceof HTMLButtonElement ||
    target instanceof HTMLAnchorElement ||
    (target instanceof HTMLInputElement &&
      ['checkbox', 'radio', 'button', 'submit'].includes(target.type));
  return activatable && (key === 'Space' || key === 'Enter');
}

/** Pretty form for the UI: 'Shift+ArrowRight' → 'Shift+→'. */
export function displayKey(key: string): string {
  return key
    .replace('ArrowRight', '→')
    .replace('ArrowLeft', '←')
    .replace('ArrowUp', '↑')
    .replace('ArrowDown', '↓');
}
