import type { GrantCache } from '../access/grant-cache.js';
import { AgentCapabilities } from '../agents/capabilities.js';
import { AnomalyReader } from '../anomaly/anomaly-reader.js';
import type { ApprovalReader } from '../approvals/approval-reader.js';
import type { PayloadSealer } from '../audit/sealing/payload-sealer.js';
import type { BudgetService } from '../budgets/budget-service.js';
import { BudgetUsageReader } from '../budgets/budget-usage.js';
import type { UpstreamPool } from '../mcp/upstream-pool.js';
import type { PolicyRegistry } from '../policies/policy-registry.js';
import { PolicyVersions } from '../policies/policy-versions.js';
import type { Storage } from '../storage/database.js';
import { ConsoleOverview } from './overview.js';

/** The read models the console's pages need beyond the resource routes, each in its domain folder. */
export interface ConsoleReads {
  readonly overview: ConsoleOverview;
  readonly capabilities: AgentCapabilities;
  readonly policyVersions: PolicyVersions;
  readonly budgetUsage: BudgetUsageReader;
  readonly anomalies: AnomalyReader;
}

export function buildConsoleReads(deps: {
  readonly storage: Storage;
  readonly budgets: BudgetService;
  readonly approvals: ApprovalReader;
  readonly sealer: PayloadSealer;
  readonly registry: PolicyRegistry;
  readonly pool: UpstreamPool;
  readonly grants: GrantCache;
  readonly clock: () => number;
}): ConsoleReads {
  const { storage, budgets, clock } = deps;
  const anomalies = new AnomalyReader(storage, deps.sealer);
  return {
    overview: new ConsoleOverview({ storage, budgets, approvals: deps.approvals, anomalies, clock }),
    capabilities: new AgentCapabilities({
      storage,
      registry: deps.registry,
      pool: deps.pool,
      grants: deps.grants,
      clock,
    }),
    policyVersions: new PolicyVersions(storage),
    budgetUsage: new BudgetUsageReader({ storage, budgets, clock }),
    anomalies,
  };
}
