import { loadBundleFromFiles, type PolicyBundle, type SourceFile } from '@warden/policy';
import type { Result } from '../../result.js';
import type { Storage } from '../../storage/database.js';
import { type PolicyInvalid, policyInvalid } from '../policy-service.js';
import type { ImpactReport } from './impact-report.js';
import { type ReplayWindow, replayDecisions, type SubjectOpener } from './replay.js';

/** A candidate bundle's impact on recorded decisions (`POST /v1/policies/preview`, reloads). */
export class PolicyImpact {
  constructor(
    private readonly storage: Storage,
    private readonly subjects: SubjectOpener,
  ) {}

  /** Loads a candidate exactly as `warden policy lint` and a reload do: same issues, nothing stored. */
  candidate(files: readonly SourceFile[]): Result<{ bundle: PolicyBundle }, PolicyInvalid> {
    const loaded = loadBundleFromFiles(files);
    return loaded.ok ? { ok: true, bundle: loaded.bundle } : policyInvalid(loaded.issues);
  }

  replay(candidate: PolicyBundle, window: ReplayWindow): Promise<ImpactReport> {
    return replayDecisions(this.storage, this.subjects, candidate, window);
  }
}
