import type { ClipAnnotation } from '../../shared/domain';

const UNDO_DEPTH = 200;

export type Direction = 'undo' | 'redo';

/** A state of one expression to go back (or forward) to; null: not coded. */
export interface ExpressionStep {
  scope: 'expression';
  annotation: ClipAnnotation | null;
}

/**
 * A step that adds or takes away a whole expression of a clip (a delete, or undoing an
 * expression's first save): the later expressions move a place, so it belongs to the clip.
 */
export type ClipStep =
  | {
      scope: 'clip';
      action: 'reinsert';
      expression: number;
      annotation: ClipAnnotation;
      /** The expression's own steps, which come back with it. */
      history: ExpressionHistory;
    }
  | { scope: 'clip'; action: 'remove'; expression: number };

export type Step = ExpressionStep | ClipStep;

/** `order` ranks steps across stacks: the latest is taken first. */
type Kept<T> = T & { order: number };

export interface ExpressionHistory {
  undo: Array<Kept<ExpressionStep>>;
  redo: Array<Kept<ExpressionStep>>;
}

interface ClipHistory {
  /** Per expression, by place (1 at index 0); moves with the expressions when one is removed. */
  expressions: ExpressionHistory[];
  undo: Array<Kept<ClipStep>>;
  redo: Array<Kept<ClipStep>>;
}

export function emptyHistory(): ExpressionHistory {
  return { undo: [], redo: [] };
}

export function opposite(direction: Direction): Direction {
  return direction === 'undo' ? 'redo' : 'undo';
}

/**
 * A store's undo/redo for this session, per clip. Undo on an expression takes the later of its
 * own last edit and the clip's last added or removed expression: right after a delete, undo
 * brings the deleted expression back and never touches the expression shown instead.
 */
export class UndoHistory {
  private readonly clips = new Map<string, ClipHistory>();
  private order = 0;

  /** An edit of one expression: `previous` is what undo restores. New edits end the redo. */
  recordEdit(clipId: string, expression: number, previous: ClipAnnotation | null): void {
    const clip = this.clip(clipId);
    const own = this.expression(clip, expression);
    keep(own.undo, { scope: 'expression', annotation: previous, order: ++this.order });
    own.redo = [];
    clip.redo = [];
  }

  /** A change of the clip's expressions (a delete): `inverse` is what undo does. */
  recordClipStep(clipId: string, inverse: ClipStep): void {
    const clip = this.clip(clipId);
    keep(clip.undo, { ...inverse, order: ++this.order });
    clip.redo = [];
  }

  canStep(clipId: string, expression: number, direction: Direction): boolean {
    const clip = this.clips.get(clipId);
    if (!clip) return false;
    return (clip.expressions[expression - 1]?.[direction].length ?? 0) + clip[direction].length > 0;
  }

  /** Takes the step undo (or redo) on this expression does next: the latest of its and the clip's. */
  take(clipId: string, expression: number, direction: Direction): Step | null {
    const clip = this.clips.get(clipId);
    if (!clip) return null;
    const own = clip.expressions[expression - 1]?.[direction] ?? [];
    const ownLast = own.at(-1);
    const clipLast = clip[direction].at(-1);
    if (ownLast && (!clipLast || ownLast.order > clipLast.order)) return own.pop() ?? null;
    return clip[direction].pop() ?? null;
  }

  /** A step that could not be saved goes back where it was, to be taken again. */
  putBack(clipId: string, expression: number, direction: Direction, step: Step): void {
    const clip = this.clip(clipId);
    const kept = step as Kept<Step>;
    if (kept.scope === 'clip') clip[direction].push(kept);
    else this.expression(clip, expression)[direction].push(kept);
  }

  /** The inverse of a step just taken, as the latest step the other way. */
  give(clipId: string, expression: number, direction: Direction, step: Step): void {
    const clip = this.clip(clipId);
    const order = ++this.order;
    if (step.scope === 'clip') keep(clip[direction], { ...step, order });
    else keep(this.expression(clip, expression)[direction], { ...step, order });
  }

  /** The expression at `expression` is removed: its history leaves, the later ones move down. */
  removeAt(clipId: string, expression: number): ExpressionHistory {
    const expressions = this.clip(clipId).expressions;
    return expressions.splice(expression - 1, 1)[0] ?? emptyHistory();
  }

  /** An expression comes back at `expression`, with its history; the later ones move up. */
  insertAt(clipId: string, expression: number, history: ExpressionHistory): void {
    const expressions = this.clip(clipId).expressions;
    while (expressions.length < expression - 1) expressions.push(emptyHistory());
    expressions.splice(expression - 1, 0, history);
  }

  private clip(clipId: string): ClipHistory {
    let clip = this.clips.get(clipId);
    if (!clip) {
      clip = { expressions: [], undo: [], redo: [] };
      this.clips.set(clipId, clip);
    }
    return clip;
  }

  private expression(clip: ClipHistory, expression: number): ExpressionHistory {
    while (clip.expressions.length < expression) clip.expressions.push(emptyHistory());
    return clip.expressions[expression - 1];
  }
}

function keep<T>(stack: T[], value: T): void {
  stack.push(value);
  if (stack.length > UNDO_DEPTH) stack.shift();
}
