/**
 * Text from outside the harness (an external process's stderr lines and status messages,
 * SPEC 7) made safe for a terminal: every control character other than tab (C0, DEL and C1:
 * U+0000–U+0008, U+000A–U+001F, U+007F–U+009F) becomes a visible escape `\xHH`, so ESC
 * sequences cannot recolour, move the cursor or clear the screen, and a newline cannot start
 * a line that looks like the harness's own.
 *
 * @param text any string
 * @returns the same string with each such character replaced by `\x` and two hex digits
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
