import type { FastifyBaseLogger } from 'fastify';
import type { AuditLog } from '../audit/audit-log.js';
import type { Notifier } from '../notify/notifier.js';
import type { Signals } from '../signals/signals.js';
import type { Storage } from '../storage/database.js';
import { PolicyImpact } from './impact/policy-impact.js';
import type { SubjectOpener } from './impact/replay.js';
import type { PolicyRegistry } from './policy-registry.js';
import type { PolicyService } from './policy-service.js';
import { PolicySchedules } from './schedule/policy-schedules.js';
import { PolicySettings } from './schedule/policy-settings.js';
import { ShadowBundles } from './shadow/shadow-bundles.js';
import { ShadowEvaluator } from './shadow/shadow-evaluator.js';

/** Change without surprises: impact replays, notify-first schedules, shadow bundles. */
export interface PolicyChanges {
  readonly impact: PolicyImpact;
  readonly settings: PolicySettings;
  readonly schedules: PolicySchedules;
  readonly shadows: ShadowBundles;
  readonly shadowEvaluator: ShadowEvaluator;
}

export interface PolicyChangesDeps {
  readonly storage: Storage;
  readonly policies: PolicyService;
  readonly registry: PolicyRegistry;
  readonly subjects: SubjectOpener;
  readonly audit: AuditLog;
  readonly signals: Signals;
  readonly notifier: Notifier;
  readonly log: FastifyBaseLogger;
  readonly clock: () => number;
}

export function buildPolicyChanges(deps: PolicyChangesDeps): PolicyChanges {
  const { storage, audit, signals, log, clock } = deps;
  const impact = new PolicyImpact(storage, deps.subjects);
  const settings = new PolicySettings(storage, audit, clock);
  const shadows = new ShadowBundles(storage, audit, signals, log, clock);
  return {
    impact,
    settings,
    schedules: new PolicySchedules({ ...deps, impact, settings }),
    shadows,
    shadowEvaluator: new ShadowEvaluator(shadows, storage, log),
  };
}
