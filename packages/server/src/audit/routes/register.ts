import type { App } from '../../http/app.js';
import type { Signals } from '../../signals/signals.js';
import type { Storage } from '../../storage/database.js';
import { AuditExporter } from '../audit-export.js';
import { AuditProofs } from '../audit-proofs.js';
import { AuditReader } from '../audit-reader.js';
import { RetentionSettings } from '../audit-retention.js';
import { AuditShredder } from '../audit-shred.js';
import type { AuditTrail } from '../audit-trail.js';
import type { AuditServices } from './audit-schemas.js';
import { registerConsistencyProof } from './consistency-proof.js';
import { registerExportEvents } from './export-events.js';
import { registerGetRetention } from './get-retention.js';
import { registerInclusionProof } from './inclusion-proof.js';
import { registerLatestCheckpoint } from './latest-checkpoint.js';
import { registerListEvents } from './list-events.js';
import { registerShredSubject } from './shred-subject.js';
import { registerUpdateRetention } from './update-retention.js';

export interface AuditRouteDeps {
  readonly storage: Storage;
  readonly auditTrail: AuditTrail;
  readonly signals: Signals;
  readonly clock: () => number;
}

/** The audit trail's API: checkpoints, proofs, event search, export, shredding and retention. */
export function registerAuditRoutes(app: App, deps: AuditRouteDeps): void {
  const services = auditServices(deps);
  registerLatestCheckpoint(app, services.proofs);
  registerInclusionProof(app, services.proofs);
  registerConsistencyProof(app, services.proofs);
  registerListEvents(app, services.reader);
  registerExportEvents(app, services.exporter);
  registerShredSubject(app, services.shredder);
  registerGetRetention(app, services.retention);
  registerUpdateRetention(app, services.retention);
}

function auditServices({ storage, auditTrail, signals, clock }: AuditRouteDeps): AuditServices {
  const signing = {
    storage,
    checkpointer: auditTrail.checkpointer,
    verifierKey: auditTrail.signingKey.verifierKey,
    origin: auditTrail.origin,
  };
  return {
    reader: new AuditReader(storage, auditTrail.sealer),
    proofs: new AuditProofs(signing),
    exporter: new AuditExporter({ ...signing, sealer: auditTrail.sealer, clock }),
    shredder: new AuditShredder({ storage, log: auditTrail.log, keys: auditTrail.keys, signals, clock }),
    retention: new RetentionSettings(storage, auditTrail.log, clock),
  };
}
