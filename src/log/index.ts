export { HASH_SIZE, consistencyProof, emptyRoot, inclusionProof, inclusionProofLength, leafHash, nodeHash, rootFromInclusion, rootOfLeafHashes, rootsFromConsistency, treeRoot, verifyConsistency, verifyInclusion } from './merkle.js';
export { verifySubtreeConsistency, verifySubtreeInclusion } from './subtree.js';
export type { HashSource, ProofCheck } from './merkle.js';
export { INCLUSION_MEMO_MAX_NODES, createInclusionVerifier } from './batch.js';
export type { InclusionVerifier, InclusionVerifierOptions, InclusionVerifierStats } from './batch.js';
export { HashTree } from './hashtree.js';
export type { LogCheck, LogReport } from './report.js';
export { NOTE_MAX_BYTES, NOTE_MAX_SIGNATURES, parseNote, signNote, verifyNote } from './note.js';
export type { AsyncNoteSigner, NoteReport, NoteSignature, NoteSigner, NoteVerifier, ParsedNote, SyncNoteSigner } from './note.js';
export { NOTE_TYPE_COSIGNATURE, NOTE_TYPE_ED25519, formatVerifierKey, generateNoteKey, noteKeyId, noteSigner, noteVerifier, parseSignerKey, parseVerifierKey } from './notekeys.js';
export type { NoteKey } from './notekeys.js';
export { formatCheckpoint, parseCheckpoint } from './checkpoint.js';
export type { Checkpoint } from './checkpoint.js';
export { cosign, cosignatureMessage } from './cosignature.js';
export type { Cosigner } from './cosignature.js';
export { verifyCheckpoint } from './witness.js';
export { verifyCheckpointConsistency } from './consistency.js';
export { witnessCosign } from './witnessing.js';
export type { WitnessState } from './witnessing.js';
export type { CheckpointConsistencyReport } from './consistency.js';
export type { CheckpointReport, VerifierInput, WitnessPolicy } from './witness.js';
export { MAX_ENTRY_BYTES, TILE_WIDTH, decodeBundle, encodeBundle, encodeTileIndex, entriesPath, tilePath, tileWidth } from './tiles.js';
export { fetchBundle, fetchTile, tiledConsistencyProof, tiledEntry, tiledInclusionProof, tiledRoot, verifyTiledLog } from './tiledlog.js';
export type { TileFetcher, TiledLogReport } from './tiledlog.js';
export {
  HEADER_VDP,
  HEADER_VDS,
  VDP_CONSISTENCY,
  VDP_INCLUSION,
  VDS_RFC9162_SHA256,
  issueConsistencyReceipt,
  issueInclusionReceipt,
  statementEntry,
  verifyConsistencyReceipt,
  verifyReceipt,
  verifyStatementReceipt,
} from './receipt.js';
export type { ReceiptReport, VerifyReceiptOptions } from './receipt.js';
export { TLOG_PROOF_HEADER, formatTlogProof, parseTlogProof, verifyTlogProof } from './tlogproof.js';
export type { TlogProof, TlogProofReport } from './tlogproof.js';
