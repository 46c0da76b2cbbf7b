/**
 * `validateRequest`: JSON in, a typed request or one error listing every issue out.
 */
import type { z } from 'zod';
import { CustosError } from '../errors.js';
import { checkRequestRules, type RequestIssue } from './rules.js';
import { requestShape, type EvidenceRequest } from './schema.js';

/** ERR_REQUEST_INVALID with the structured list of issues (path + message). */
export class RequestInvalidError extends CustosError {
  readonly issues: readonly RequestIssue[];
  constructor(issues: readonly RequestIssue[]) {
    const head = issues.slice(0, 5).map((i) => (i.path === '' ? i.message : `${i.path}: ${i.message}`));
    const more = issues.length > 5 ? `; and ${issues.length - 5} more` : '';
    super('ERR_REQUEST_INVALID', `request invalid: ${head.join('; ')}${more}`);
    this.name = 'RequestInvalidError';
    this.issues = issues;
  }
}

/** `targets[0].at` from zod's `['targets', 0, 'at']`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out;
}

function zodIssues(error: z.ZodError): RequestIssue[] {
  const out: RequestIssue[] = [];
  for (const i of error.issues) {
    if (i.code === 'unrecognized_keys') {
      for (const k of i.keys) out.push({ path: formatPath([...i.path, k]), message: 'unknown field' });
    } else if (i.code === 'invalid_union' && 'note' in i && i.note === 'No matching discriminator') {
      out.push({ path: 'instrument', message: 'expected one of EPOC, EPOC-PR, EIO, MLA, COE-P2' });
    } else {
      out.push({ path: formatPath(i.path), message: i.message });
    }
  }
  return out;
}

/**
 * Checks a request against its template and every cross-field rule.
 *
 * @returns the typed request (a fresh object; the input is not modified).
 * @throws RequestInvalidError (`code` ERR_REQUEST_INVALID) listing every issue in `issues`.
 *
 * @example
 * ```ts
 * try {
 *   const req = validateRequest(JSON.parse(text));
 * } catch (e) {
 *   if (e instanceof RequestInvalidError) for (const i of e.issues) console.log(i.path, i.message);
 * }
 * ```
 */
export function validateRequest(json: unknown): EvidenceRequest {
  const parsed = requestShape.safeParse(json);
  if (!parsed.success) throw new RequestInvalidError(zodIssues(parsed.error));
  const issues: RequestIssue[] = [];
  checkRequestRules(parsed.data, (path, message) => issues.push({ path, message }));
  if (issues.length > 0) throw new RequestInvalidError(issues);
  return parsed.data;
}

/**
 * Like {@link validateRequest} but returns the issues instead of throwing.
 *
 * @example
 * ```ts
 * requestIssues({ ...json, language: 'English' }); // [{ path: 'language', message: 'expected an ISO 639-1 language code' }]
 * ```
 */
export function requestIssues(json: unknown): readonly RequestIssue[] {
  try {
    validateRequest(json);
    return [];
  } catch (e) {
    if (e instanceof RequestInvalidError) return e.issues;
    throw e;
  }
}
