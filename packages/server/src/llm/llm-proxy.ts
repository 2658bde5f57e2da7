import type { LlmCallDeps } from './llm-call.js';
import { ShadowRunner, type ShadowRunnerDeps } from './shadow/shadow-runner.js';

/**
 * The LLM proxy's shared parts, and the work still under way after an answer (outcomes being
 * written, shadow calls): the shutdown stops the shadow calls and waits for the rest.
 */
export class LlmProxy {
  readonly deps: LlmCallDeps;
  private readonly writing = new Set<Promise<void>>();

  constructor(
    deps: Omit<LlmCallDeps, 'track' | 'shadows'>,
    shadowDeps: Omit<ShadowRunnerDeps, 'track' | 'providers' | 'log'>,
  ) {
    const track = (write: Promise<void>) => {
      this.writing.add(write);
      void write.finally(() => this.writing.delete(write));
    };
    const shadows = new ShadowRunner({ ...shadowDeps, providers: deps.providers, log: deps.log, track });
    this.deps = { ...deps, track, shadows };
  }

  /** Resolves once every outcome and shadow run started so far is recorded. */
  async idle(): Promise<void> {
    while (this.writing.size > 0) await Promise.all(this.writing);
  }

  /** At shutdown: shadow calls in flight are stopped (recorded as failed), then everything written. */
  async close(): Promise<void> {
    this.deps.shadows.stop();
    await this.idle();
  }
}
