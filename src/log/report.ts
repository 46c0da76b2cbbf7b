/**
 * The report shape every log verifier returns: each check with its outcome, and the code of
 * the first failure. Verifiers throw only on API misuse; a bad note, proof or receipt is data.
 */
import type { ErrorCode } from '../errors.js';
import { allPassed, type Check } from '../report.js';

/** One check of a log verifier ({@link Check}): `note.signature`, `inclusion`, `witness.quorum`, … */
export type LogCheck = Check;

export interface LogReport {
  /** True only when every check passed. */
  readonly ok: boolean;
  /** The code of the first failed check (undefined when ok). */
  readonly code?: ErrorCode;
  readonly checks: readonly LogCheck[];
}

/** Accumulates checks and builds a report. */
export class Checks {
  readonly list: LogCheck[] = [];
  pass(check: string, detail?: string): void {
    this.list.push(detail === undefined ? { check, ok: true } : { check, ok: true, detail });
  }
  failed(check: string, code: ErrorCode, detail: string): void {
    this.list.push({ check, ok: false, code, detail });
  }
  get ok(): boolean {
    return allPassed(this.list);
  }
  report(): LogReport {
    const first = this.list.find((c) => !c.ok);
    return first?.code === undefined ? { ok: this.ok, checks: this.list } : { ok: false, code: first.code, checks: this.list };
  }
}
