export { type AnchorEntry, type CheckpointAnchor, MultiAnchor } from './anchor.js';
export {
  type Checkpoint,
  formatCheckpointBody,
  type OpenCheckpointResult,
  openCheckpoint,
  type ParseCheckpointResult,
  parseCheckpointUnverified,
  signCheckpoint,
} from './checkpoint-note.js';
export { AnchorConflictError, anchorFilePath, DirectoryAnchor } from './directory-anchor.js';
export { isTornNote, MAX_NOTE_BYTES, MAX_NOTE_SIGNATURES } from './signed-note.js';
export {
  loadOrCreateSigningKey,
  type ParsedVerifierKey,
  parseVerifierKey,
  type SigningKey,
  verifierKeyFor,
  writePublicKeyFile,
} from './signing-key.js';
export { WebhookAnchor, type WebhookAnchorOptions } from './webhook-anchor.js';
