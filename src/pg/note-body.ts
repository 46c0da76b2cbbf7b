/** The body (the text before the signature lines) of a signed note. */
export function noteBody(note: string): string {
  const i = note.indexOf('\n\n');
  return i < 0 ? note : note.slice(0, i + 1);
}
