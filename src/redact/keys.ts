/**
 * Map keys a disclosure leaves in clear (issue 18, item 6).
 *
 * A key can be personal data: in `{ contacts: { "lawyer@firm.example": {…}, … } }` the keys are
 * the correspondents. When those entries are committed in clear and only their fields are
 * redactable, withholding every field still shows `{ "lawyer@firm.example": {}, … }`. So
 * {@link checkVisibleKeys} admits a visible key only when the policy grants it:
 * - its entry is inside an allowed path (the pattern covers it), or
 * - something the presentation shows lies under it (the key is part of a disclosed path), or
 * - a path in the policy (any purpose, or `public`) names it literally: a field name of the
 *   record's schema (`sessions` in `sessions[*].ip`), not data.
 * Anything else is ERR_POLICY_DENIED: the record must be committed with that entry redactable
 * (e.g. `contacts.*`), so that the entry, key included, can be withheld.
 */
import { fail } from '../errors.js';
import { coversPath, formatPath, namesKey, type PathSegment, type RecordPath } from './path.js';
import type { LeafNode } from './resolve.js';

const under = (prefix: readonly PathSegment[], s: readonly PathSegment[]): boolean =>
  s.length > prefix.length &&
  prefix.every((p, i) => {
    const c = s[i]!;
    return p.kind === 'key' ? c.kind === 'key' && c.key === p.key : p.kind === 'index' && c.kind === 'index' && c.index === p.index;
  });

/**
 * Throws ERR_POLICY_DENIED for the first visible clear map entry whose key the policy does not
 * grant (see the module comment). `shown`: paths of the values and disclosures going out.
 */
export function checkVisibleKeys(
  entries: readonly LeafNode[],
  visible: (owner: string | undefined) => boolean,
  granted: readonly RecordPath[],
  named: readonly RecordPath[],
  shown: ReadonlyArray<readonly PathSegment[]>,
  purpose: string,
): void {
  for (const e of entries) {
    if (!visible(e.owner)) continue;
    if (granted.some((p) => coversPath(p, e.segments))) continue;
    if (shown.some((s) => under(e.segments, s))) continue;
    if (named.some((p) => namesKey(p, e.segments))) continue;
    fail(
      'ERR_POLICY_DENIED',
      `disclosing under purpose ${purpose} would leave the key of the withheld entry ${formatPath(e.segments)} in clear; commit the record with that entry redactable`,
    );
  }
}
