/** The longest coder name typed (the backend also limits its encoded length, below). */
export const CODER_NAME_MAX_LENGTH = 64;
/** The backend's limit on a name once percent-encoded into its file name (src/shared schemas). */
const MAX_ENCODED_BYTES = 160;

/**
 * What is wrong with a coder name, in plain words for the form (null: nothing). The backend checks
 * the same; this says it next to the field before asking.
 */
export function coderNameProblem(typed: string): string | null {
  const name = typed.normalize('NFC').trim();
  if (!name) return 'Type the name of the coder to switch to.';
  if (name.length > CODER_NAME_MAX_LENGTH) {
    return `A coder name has at most ${CODER_NAME_MAX_LENGTH} characters.`;
  }
  if (!/^[\p{L}\p{N}_. -]+$/u.test(name)) {
    return 'A coder name may hold letters, digits, spaces, dots, dashes and underscores only.';
  }
  if (encodeURIComponent(name).length > MAX_ENCODED_BYTES) {
    return (
      'This name is too long to name the coder’s file: use a shorter one ' +
      '(about 26 accented or 17 CJK letters at most).'
    );
  }
  return null;
}

/** A backend refusal without the request and field it names ("annotations.setCoder: coder: "). */
export function plainRefusal(message: string): string {
  return message.replace(/^[\w.]+: coder: /, '');
}
