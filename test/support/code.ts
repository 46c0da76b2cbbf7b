import { isCustosError, type ErrorCode } from '../../src/errors.js';

/**
 * The CustosError code a promise (or a function's result) ends with, 'none' when it succeeds.
 * Any other error is rethrown: only a documented code may escape, so a crash fails the test.
 */
export async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<ErrorCode | 'none'> {
  try {
    await (typeof p === 'function' ? p() : p);
    return 'none';
  } catch (e) {
    if (isCustosError(e)) return e.code;
    throw e;
  }
}
