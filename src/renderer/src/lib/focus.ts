import { tick } from 'svelte';

/**
 * Moves keyboard focus to an element once the page has caught up with a change (the element may
 * just have been created, or re-created for another clip): focus never falls to the page itself.
 */
export async function focusTestIdSoon(testId: string): Promise<void> {
  await tick();
  document.querySelector<HTMLElement>(`[data-testid="${testId}"]`)?.focus();
}
