/**
 * Terminal escaping for human CLI output: every string the CLI prints for a person (stdout
 * without `--json`, and stderr) passes through {@link escapeTerminal} in the output layer
 * (`io.ts`, `run.ts`), because much of it comes from others — an issuer name in a bundle, a
 * subject in a chain, an authority in a trust store, a field of a request, a file name. Printed
 * verbatim, such a string can move the cursor, erase the line and print a fake green VERIFIED
 * (ESC / CSI sequences), start a line of its own (CR, LF), or reorder what is shown (bidi
 * overrides and isolates, "Trojan Source", CVE-2021-42574).
 *
 * Escaped, as visible text:
 * - C0 controls U+0000–U+001F (ESC, CR, LF, TAB, BEL, BS, …) and DEL U+007F;
 * - C1 controls U+0080–U+009F (U+009B is a one-byte CSI on some terminals);
 * - every format character (Unicode category Cf): the bidi embeddings, overrides and isolates
 *   U+202A–U+202E and U+2066–U+2069, the marks U+200E, U+200F, U+061C, zero-width characters,
 *   U+FEFF, the tag characters, soft hyphen, …;
 * - the line and paragraph separators U+2028, U+2029, lone surrogates, private-use code points
 *   (U+E000–U+F8FF and planes 15–16) and unassigned ones (a later Unicode version may make
 *   them format characters; a terminal newer than this Node may already treat them so).
 *
 * JSON output is not escaped here: `JSON.stringify` already writes every C0 control as `\uXXXX`,
 * and the other characters are data a JSON consumer must receive exactly.
 */

// \p{Cc}: C0, DEL, C1; \p{Cf}: format characters (bidi, zero-width, tags, …);
// \p{Zl}\p{Zp}: U+2028/U+2029; \p{Cs}: lone surrogates; \p{Co}: private use; \p{Cn}: unassigned.
const UNSAFE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Co}\p{Cn}]/gu;

const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function visible(ch: string): string {
  const named = NAMED[ch];
  if (named !== undefined) return named;
  const cp = ch.codePointAt(0)!;
  if (cp < 0x100) return `\\x${cp.toString(16).padStart(2, '0')}`;
  if (cp < 0x10000) return `\\u${cp.toString(16).padStart(4, '0')}`;
  return `\\u{${cp.toString(16)}}`;
}

/**
 * `s` with every control, format, separator, surrogate, private-use and unassigned code point replaced by a
 * visible escape (`\x1b`, `\n`, `\u202e`, `\u{e0041}`); everything else unchanged.
 *
 * @example
 * ```ts
 * escapeTerminal('IE-P\r\x1b[2K\x1b[32mVERIFIED'); // 'IE-P\\r\\x1b[2K\\x1b[32mVERIFIED'
 * ```
 */
export function escapeTerminal(s: string): string {
  return s.replace(UNSAFE, visible);
}
