export { TLOG_ERROR_CODES, TlogError, type TlogErrorCode } from './errors.ts';
export {
  EMPTY_ROOT,
  HASH_SIZE,
  leafHash,
  merkleTreeHash,
  nodeHash,
  rootHash,
  type NodeId,
  type NodeReader,
} from './merkle.ts';
export { appendLeaves, type StoredNode } from './append.ts';
export { MemoryTree } from './memory-tree.ts';
export {
  consistencyProof,
  consistencyProofLength,
  inclusionProof,
  inclusionProofLength,
  requiredNodes,
  verifyConsistency,
  verifyInclusion,
  type ConsistencyClaim,
  type InclusionClaim,
} from './proofs.ts';
export {
  TILE_HEIGHT,
  TILE_WIDTH,
  buildTile,
  decodeTile,
  encodeTile,
  tileOfNode,
  tilePath,
  tileReader,
  tilesForNodes,
  tilesOfTree,
  tileWidth,
  type TileRef,
} from './tiles.ts';
export {
  MAX_PARTIAL_WIDTH,
  MAX_TILE_LEVEL,
  MAX_TILE_PATH_LENGTH,
  encodeTileIndex,
  formatTilePath,
  parseTilePath,
  type TilePath,
} from './tile-paths.ts';
export { MAX_ENTRY_BYTES, decodeEntryBundle, encodeEntryBundle } from './entry-bundles.ts';
export {
  MAX_KEY_NAME_LENGTH,
  SIGNATURE_TYPE,
  formatSignerKey,
  formatVerifierKey,
  generateSignerKey,
  isValidKeyName,
  keyId,
  parseSignerKey,
  parseVerifierKey,
  type SignatureType,
  type SignerKey,
  type VerifierKey,
} from './keys.ts';
export {
  MAX_NOTE_BYTES,
  MAX_NOTE_SIGNATURES,
  addSignatures,
  formatNote,
  formatSignatureLine,
  noteSigner,
  noteVerifier,
  openNote,
  parseNote,
  parseSignatureLine,
  signNote,
  type Note,
  type NoteSignature,
  type NoteSigner,
  type NoteVerifier,
  type OpenedNote,
} from './note.ts';
export {
  MAX_EXTENSION_LINES,
  MAX_ORIGIN_LENGTH,
  formatCheckpoint,
  openCheckpoint,
  parseCheckpoint,
  signCheckpoint,
  type Checkpoint,
} from './checkpoint.ts';
export {
  COSIGNATURE_SIZE,
  cosignatureTimestamp,
  cosignatureVerifier,
  cosignedMessage,
  cosigner,
  cosignerVerifierKey,
} from './cosignature.ts';
export {
  MAX_ADD_CHECKPOINT_BYTES,
  MAX_PROOF_LINES,
  TREE_SIZE_CONTENT_TYPE,
  formatAddCheckpoint,
  formatTreeSize,
  parseAddCheckpoint,
  parseCosignatureLines,
  parseTreeSize,
  type AddCheckpointRequest,
} from './witness-protocol.ts';
export { Frontier } from './frontier.ts';
export {
  CHECKPOINT_FAILURES,
  UntrustedCheckpointError,
  openTrustedCheckpoint,
  type CheckpointFailure,
  type Cosignature,
  type TrustPolicy,
  type TrustedCheckpoint,
} from './trust.ts';
export { VERIFICATION_FAILURES, type VerificationFailure, type VerificationFailureCode } from './verification.ts';
export { verifyLog, type LogSource, type LogVerification, type VerifyLogOptions } from './verify-log.ts';
export {
  BUNDLE_FORMAT,
  MAX_BUNDLE_ENTRIES,
  MAX_BUNDLE_PREVIOUS,
  MalformedBundleError,
  formatBundle,
  parseBundle,
  verifyBundle,
  type BundleEntry,
  type BundleVerification,
  type ProofBundle,
} from './bundle.ts';
export { buildBundle, type BundleRequest } from './export.ts';
