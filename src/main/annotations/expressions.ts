import type { ClipAnnotation } from '../../shared/domain';

/**
 * A clip's further expressions (2, 3 …: a long recording holds several) are kept under their own
 * keys beside the clip's first, so each is saved, merged and undone like any clip.
 */
const EXPRESSION_MARK = '#expression-';

/** A key of a coder file's annotations, and the annotation to put there (null: delete it). */
export type Change = [key: string, annotation: ClipAnnotation | null];

export function annotationKey(clipId: string, expression = 1): string {
  return expression > 1 ? `${clipId}${EXPRESSION_MARK}${expression}` : clipId;
}

export function expressionOf(annotation: ClipAnnotation): number {
  return annotation.expression ?? 1;
}

export function withExpression(annotation: ClipAnnotation, expression: number): ClipAnnotation {
  // The first is written without the field (JSON drops undefined), as in schema 1.
  return { ...annotation, expression: expression > 1 ? expression : undefined };
}

/** The clip's expressions as coded, 1, 2, … (empty when not coded). */
export function expressionsIn(
  annotations: Record<string, ClipAnnotation>,
  clipId: string,
): ClipAnnotation[] {
  const found: ClipAnnotation[] = [];
  for (let n = 1; annotations[annotationKey(clipId, n)]; n++) {
    found.push(annotations[annotationKey(clipId, n)]);
  }
  return found;
}

/** Takes expression `expression` out: the later ones move down a place. */
export function removalChanges(
  expressions: ClipAnnotation[],
  clipId: string,
  expression: number,
): Change[] {
  const changes: Change[] = [];
  for (let n = expression; n <= expressions.length; n++) {
    const next = expressions[n] ?? null; // expression n + 1 (0-based n)
    changes.push([annotationKey(clipId, n), next && withExpression(next, n)]);
  }
  return changes;
}

/** Puts `annotation` in as expression `expression`: the ones from there move up a place. */
export function insertionChanges(
  expressions: ClipAnnotation[],
  clipId: string,
  expression: number,
  annotation: ClipAnnotation,
): Change[] {
  const changes: Change[] = [
    [annotationKey(clipId, expression), withExpression(annotation, expression)],
  ];
  for (let n = expression; n <= expressions.length; n++) {
    changes.push([annotationKey(clipId, n + 1), withExpression(expressions[n - 1], n + 1)]);
  }
  return changes;
}
