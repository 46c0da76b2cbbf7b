/** The verification report of a bundle: every check, with its outcome and error code. */
import type { ErrorCode } from '../errors.js';
import { allPassed, type Check } from '../report.js';

/**
 * One check of a bundle ({@link Check} with its detail always set). `subject` names the file or
 * item it is about; `check` is `tar`, `manifest.signature`, `file.digest`, `seal`, `custody`,
 * `receipt`, … Every check that applies is listed, and one that could not run is a failure
 * with the reason, never left out.
 */
export type BundleCheck = Check & { readonly detail: string };

/** What `verifyBundle` returns: `ok` is true only when every check passed. */
export interface BundleReport {
  readonly ok: boolean;
  /**
   * False when the input is not a readable bundle at all: it could not be read, is not a strict
   * tar archive, or has no manifest (the CLI exits 3 for these, 1 for a bundle that fails).
   */
  readonly readable: boolean;
  readonly checks: readonly BundleCheck[];
  /** Manifest facts, when the manifest could be read (signed or not: see the checks). */
  readonly manifest?: {
    readonly created: string;
    readonly issuer: string;
    readonly signer?: string;
    readonly case?: string;
    readonly request?: string;
    readonly items: readonly { readonly id: string; readonly size?: number; readonly mediaType?: string }[];
  };
  /** Check names that were not run because the module behind them is not available. */
  readonly skipped: readonly string[];
  /**
   * Requirements the caller waived (see `REQUIREMENTS` in ./policy.ts): `ok` holds only with
   * these given up, and a verdict must say so ("VERIFIED WITH WAIVERS: …").
   */
  readonly waived: readonly string[];
  /** Items of the bundle that were not checked (verification limited with `only` / `--item`). */
  readonly notChecked: readonly string[];
}

/**
 * The one-line verdict of a report, for humans: never a plain VERIFIED when a requirement was
 * waived or part of the bundle was not checked.
 *
 * @example
 * ```ts
 * console.log(verdictLine(report)); // "VERIFIED: 42 checks passed"
 * ```
 */
export function verdictLine(report: BundleReport): string {
  const n = report.checks.length;
  if (!report.ok) return `NOT VERIFIED: ${report.checks.filter((c) => !c.ok).length} of ${n} checks failed`;
  const part = report.notChecked.length > 0 ? `; items NOT checked: ${report.notChecked.join(', ')}` : '';
  if (report.waived.length > 0) return `VERIFIED WITH WAIVERS: ${report.waived.join(', ')} (${n} checks passed${part})`;
  if (part !== '') return `VERIFIED IN PART: ${n} checks passed${part}`;
  return `VERIFIED: ${n} checks passed`;
}

/** Collects checks while a verifier runs. */
export class ReportBuilder {
  readonly checks: BundleCheck[] = [];
  readonly skipped: string[] = [];

  pass(check: string, subject: string | undefined, detail: string): void {
    this.checks.push({ check, ...(subject !== undefined ? { subject } : {}), ok: true, detail });
  }

  failed(check: string, subject: string | undefined, code: ErrorCode, detail: string): void {
    this.checks.push({ check, ...(subject !== undefined ? { subject } : {}), ok: false, code, detail });
  }

  get ok(): boolean {
    return allPassed(this.checks);
  }
}
