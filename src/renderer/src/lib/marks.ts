/** Onset, apex and offset of one clip as 0-based frame indexes (null = not set). */
export interface Marks {
  onset: number | null;
  apex: number | null;
  offset: number | null;
}

export type MarkName = keyof Marks;

/** Sets one mark, refusing an order other than onset ≤ apex ≤ offset; returns why if refused. */
export function setMark(marks: Marks, name: MarkName, frame: number): Marks | string {
  const next = { ...marks, [name]: frame };
  const ordered = [next.onset, next.apex, next.offset].filter((value) => value !== null);
  for (let i = 1; i < ordered.length; i++) {
    if (ordered[i] < ordered[i - 1])
      return 'onset ≤ apex ≤ offset: this mark would break the order';
  }
  return next;
}
