/** The verification report of a bundle: every check, with its outcome and error code. */
import type { ErrorCode } from '../errors.js';

/** One check. `subject` names the file or item it is about. */
export interface BundleCheck {
  /** Stable check name: `tar`, `manifest.signature`, `file.digest`, `seal`, `custody`, `receipt`, … */
  readonly check: string;
  readonly subject?: string;
  readonly ok: boolean;
  /** The error code when `ok` is false. */
  readonly code?: ErrorCode;
  readonly detail: string;
}

/** What `verifyBundle` (from `custos/node`) returns: `ok` is true only when every check passed. */
export interface BundleReport {
  readonly ok: boolean;
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
    return this.checks.length > 0 && this.checks.every((c) => c.ok);
  }
}
