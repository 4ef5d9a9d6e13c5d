import type { WorkspaceAction } from '../../../shared/contract/coding';

/** What a component does for an action: on key down, and optionally on key up (hold actions). */
export interface ActionHandler {
  down: (repeat: boolean) => void;
  up?: () => void;
}

type Provided = ActionHandler | (() => void);

const handlers = new Map<WorkspaceAction, ActionHandler[]>();

/**
 * Components offer the actions they implement while they are mounted; the latest provider of
 * an action wins (a dialog can take over keys). Returns the function that withdraws them.
 */
export function provideActions(provided: Partial<Record<WorkspaceAction, Provided>>): () => void {
  const added: Array<[WorkspaceAction, ActionHandler]> = [];
  for (const [action, value] of Object.entries(provided) as Array<[WorkspaceAction, Provided]>) {
    const handler = typeof value === 'function' ? { down: () => value() } : value;
    handlers.set(action, [...(handlers.get(action) ?? []), handler]);
    added.push([action, handler]);
  }
  return () => {
    for (const [action, handler] of added) {
      handlers.set(
        action,
        (handlers.get(action) ?? []).filter((candidate) => candidate !== handler),
      );
    }
  };
}

function current(action: WorkspaceAction): ActionHandler | undefined {
  const list = handlers.get(action);
  return list?.[list.length - 1];
}

/** Runs an action's key-down; false when nothing offers it right now. */
export function runAction(action: WorkspaceAction, repeat = false): boolean {
  const handler = current(action);
  if (!handler) return false;
  handler.down(repeat);
  return true;
}

export function releaseAction(action: WorkspaceAction): void {
  current(action)?.up?.();
}
