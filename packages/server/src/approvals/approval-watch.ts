import type { Signals } from '../signals/signals.js';

export interface ApprovalChange {
  readonly tenantId: string;
  readonly approvalId: string;
  readonly status: string;
  readonly version: number;
}

type Listener = (change: ApprovalChange) => void;

/**
 * Wakes waiting agents and live clients when a request changes, on whichever node it changed: the
 * deciding node publishes `approval.changed` and every node (PostgreSQL LISTEN/NOTIFY) delivers it
 * here. Listeners re-read the request, so a signal only says "look again".
 */
export class ApprovalWatch {
  private readonly byApproval = new Map<string, Set<Listener>>();
  private readonly byTenant = new Map<string, Set<Listener>>();

  constructor(signals: Signals) {
    signals.subscribe((signal) => {
      if (signal.type !== 'approval.changed') return;
      for (const listener of this.byApproval.get(signal.approvalId) ?? []) listener(signal);
      for (const listener of this.byTenant.get(signal.tenantId) ?? []) listener(signal);
    });
    // Signals may have been missed (a lost connection): everyone looks again.
    signals.onReset(() => {
      for (const [approvalId, listeners] of this.byApproval) {
        for (const listener of listeners)
          listener({ tenantId: '', approvalId, status: 'unknown', version: -1 });
      }
    });
  }

  /** Calls `listener` on every change of one request; returns the unsubscribe function. */
  onApproval(approvalId: string, listener: Listener): () => void {
    return add(this.byApproval, approvalId, listener);
  }

  /** Calls `listener` on every change of any request of the tenant. */
  onTenant(tenantId: string, listener: Listener): () => void {
    return add(this.byTenant, tenantId, listener);
  }

  /** Resolves on the next change of the request, or after `timeoutMs` (false), or when aborted. */
  next(approvalId: string, timeoutMs: number, abort?: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      const done = (changed: boolean) => {
        clearTimeout(timer);
        unsubscribe();
        abort?.removeEventListener('abort', onAbort);
        resolve(changed);
      };
      const onAbort = () => done(false);
      const timer = setTimeout(() => done(false), timeoutMs);
      const unsubscribe = this.onApproval(approvalId, () => done(true));
      abort?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

function add(map: Map<string, Set<Listener>>, key: string, listener: Listener): () => void {
  let listeners = map.get(key);
  if (!listeners) {
    listeners = new Set();
    map.set(key, listeners);
  }
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0) map.delete(key);
  };
}
