import type { App } from '../../http/app.js';
import type { AuditServices } from './audit-schemas.js';
import { registerConsistencyProof } from './consistency-proof.js';
import { registerExportEvents } from './export-events.js';
import { registerGetRetention } from './get-retention.js';
import { registerInclusionProof } from './inclusion-proof.js';
import { registerLatestCheckpoint } from './latest-checkpoint.js';
import { registerListEvents } from './list-events.js';
import { registerShredSubject } from './shred-subject.js';
import { registerUpdateRetention } from './update-retention.js';

/** The audit trail's API: checkpoints, proofs, event search, export, shredding and retention. */
export function registerAuditRoutes(app: App, services: AuditServices): void {
  registerLatestCheckpoint(app, services.proofs);
  registerInclusionProof(app, services.proofs);
  registerConsistencyProof(app, services.proofs);
  registerListEvents(app, services.reader);
  registerExportEvents(app, services.exporter);
  registerShredSubject(app, services.shredder);
  registerGetRetention(app, services.retention);
  registerUpdateRetention(app, services.retention);
}
