import type { App } from '../../http/app.js';
import type { Storage } from '../../storage/database.js';
import type { Telemetry } from '../../telemetry/telemetry.js';
import type { ApprovalReader } from '../approval-reader.js';
import type { ApprovalService } from '../approval-service.js';
import type { ApprovalWatch } from '../approval-watch.js';
import { registerApprovalEvents } from './approval-events.js';
import { registerDecideApproval } from './decide-approval.js';
import { registerGetApproval } from './get-approval.js';
import { registerListApprovals } from './list-approvals.js';
import { registerListIncidents } from './list-incidents.js';
import { registerWaitApproval } from './wait-approval.js';

export interface ApprovalRouteDeps {
  readonly storage: Storage;
  readonly service: ApprovalService;
  readonly reader: ApprovalReader;
  readonly watch: ApprovalWatch;
  /** Spans of agents' waits (the long-poll). */
  readonly telemetry?: Telemetry;
}

/** The human side (list, show, approve, deny, live feed), the agent side (wait, events), incidents. */
export function registerApprovalRoutes(app: App, deps: ApprovalRouteDeps): void {
  registerListApprovals(app, deps.reader);
  registerApprovalEvents(app, deps.reader, deps.watch);
  registerGetApproval(app, deps.reader);
  registerDecideApproval(app, deps.service, deps.reader);
  registerWaitApproval(app, deps.reader, deps.telemetry);
  registerListIncidents(app, deps.storage);
}
