/**
 * What verification established about one item, typed: the later checks and `openBundleItem`
 * use these facts instead of decoding anything from the archive again.
 */
import type { SealManifest } from '../seal/manifest.js';
import type { BundleManifestItem } from './manifest.js';

/** The item's age file as the manifest signs it. */
export interface SignedAgeFile {
  readonly name: string;
  readonly size: number;
  readonly headerLength: number;
  readonly headerSha256: Uint8Array;
  readonly payloadSha256: Uint8Array;
}

/** The custody chain's verdict, once per chain member. */
export interface ChainFacts {
  readonly chainId: string;
  /** The plaintext SHA-256 the chain establishes, if it names one. */
  readonly sha256: Uint8Array | undefined;
  /** Every purpose an event states. */
  readonly purposes: readonly string[];
  /** The authority holding the item after the last event (the sender while a transfer is pending). */
  readonly custodian: string | undefined;
  /** The authority a pending transfer names, if the chain ends in one. */
  readonly pendingTo: string | undefined;
  /** Number of verified events. */
  readonly length: number;
}

export interface ItemFacts {
  readonly item: BundleManifestItem;
  readonly ageFile: SignedAgeFile;
  /** The verified seal whose id and payload digest match this item (undefined: no seal, or it failed). */
  seal?: SealManifest;
  /** The verified chain (undefined: no chain, or it failed). */
  chain?: ChainFacts;
}
