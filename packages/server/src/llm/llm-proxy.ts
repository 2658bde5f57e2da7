import type { LlmCallDeps } from './llm-call.js';

/** The LLM proxy's shared parts, and the outcomes still being written (the shutdown waits for them). */
export class LlmProxy {
  readonly deps: LlmCallDeps;
  private readonly writing = new Set<Promise<void>>();

  constructor(deps: Omit<LlmCallDeps, 'track'>) {
    this.deps = {
      ...deps,
      track: (write) => {
        this.writing.add(write);
        void write.finally(() => this.writing.delete(write));
      },
    };
  }

  /** Resolves once every outcome written so far is recorded. */
  async idle(): Promise<void> {
    while (this.writing.size > 0) await Promise.all(this.writing);
  }
}
