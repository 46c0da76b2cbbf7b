export { commitRecord, loadCommittedRecord, openCommittedRecord, DEFAULT_BUCKET as DEFAULT_DECOY_BUCKET, RECORD_TYP } from './commit.js';
export type { CommitOptions, CommittedRecord, Disclosure, OpenedRecord } from './commit.js';
export { decodeDisclosure, REDACTED_ELEMENT_TAG, RESERVED_KEYS, SALT_BYTES as DISCLOSURE_SALT_BYTES, SD_KEY } from './disclosure.js';
export type { DecodedDisclosure, RecordMap, RecordValue } from './disclosure.js';
export {
  coversPath as recordPathCovers,
  formatPath as formatRecordPath,
  matchesPath as recordPathMatches,
  parsePath as parseRecordPath,
} from './path.js';
export type { PathSegment as RecordPathSegment, RecordPath } from './path.js';
export { disclosurePolicySchema, minimize, parseDisclosurePolicy } from './policy.js';
export { redactionCustodyInput } from './event.js';
export type { DisclosurePolicy, DisclosurePolicyDocument, DisclosureRequest, Minimized, RedactionEventData } from './policy.js';
export { PRESENTATION_LABELS, PRESENTATION_TYP, presentRecord } from './present.js';
export type { PresentOptions } from './present.js';
export { verifyPresentation } from './verify.js';
export type {
  PresentationExpectation,
  PresentationReport,
  RedactionCheck,
  SignerInfo as PresentationSigner,
  VerifiedPresentation,
  VerifyPresentationOptions,
} from './verify.js';
export {
  CHUNK_SIZE as REDACT_CHUNK_SIZE,
  commitChunks,
  commitChunksStream,
  decodeRangeProof,
  encodeRangeProof,
  paddedLeafCount,
  proveRanges,
  verifyRanges,
} from './chunks.js';
export type {
  ByteRange as ChunkByteRange,
  ChunkCommitment,
  ChunkOptions,
  RangeCheck as ChunkRangeCheck,
  RangeProof as ChunkRangeProof,
} from './chunks.js';
