/**
 * Where a JSON text is broken, without quoting it: V8's messages quote the start of the text,
 * and a file named like ours (or a link to one) may hold anything, secrets included.
 */
export function jsonSyntaxDetail(error: unknown): string {
  const message = error instanceof Error ? error.message : '';
  const where = /position (\d+)(?: \(line (\d+) column (\d+)\))?/.exec(message);
  if (where?.[2]) return `at line ${where[2]}, column ${where[3]}`;
  if (where) return `at character ${Number(where[1]) + 1}`;
  if (/end of JSON input/i.test(message)) return 'it ends too early';
  return 'an unexpected character';
}
