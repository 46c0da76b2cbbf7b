/**
 * The report shape every log verifier returns: each check with its outcome, and the code of
 * the first failure. Verifiers throw only on API misuse; a bad note, proof or receipt is data.
 */
import type { ErrorCode } from '../errors.js';

export interface LogCheck {
  /** A stable check name, e.g. `note.signature`, `inclusion`, `witness.quorum`. */
  readonly check: string;
  readonly ok: boolean;
  readonly code?: ErrorCode;
  /** Secret-free detail for humans. */
  readonly detail?: string;
}

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
    return this.list.length > 0 && this.list.every((c) => c.ok);
  }
  report(): LogReport {
    const first = this.list.find((c) => !c.ok);
    return first?.code === undefined ? { ok: this.ok, checks: this.list } : { ok: false, code: first.code, checks: this.list };
  }
}
