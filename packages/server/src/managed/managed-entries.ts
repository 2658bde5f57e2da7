import type { JsonObject } from '@warden/policy';
import type { FastifyBaseLogger } from 'fastify';
import type { AuditEventInput, AuditLog } from '../audit/audit-log.js';
import { actorOf, type HumanPrincipal } from '../credentials/principal.js';
import { invalidField, notFound, WardenError } from '../errors.js';
import type { SecretBox } from '../secrets/secret-box.js';
import type { Signal, Signals } from '../signals/signals.js';
import { type Storage, type Trx, writeTransaction } from '../storage/database.js';
import { lockTenant } from '../tenants/lock.js';
import {
  countStored,
  deleteEntry,
  insertEntry,
  type ManagedTable,
  storedEntries,
  storedEntry,
  updateEntry,
} from './managed-store.js';

/** How an entry given through the API gets its secrets sealed. */
export interface SealRules {
  /** Seals a secret given for `field` (`headers.Authorization`, `apiKey`) of the entry named `owner`. */
  seal(value: string, owner: string, field: string): string;
  /** Whether `box` is what is stored at `field` already: an update keeps the secrets it does not change. */
  isStored(field: string, box: string): boolean;
}

/** What differs between the kinds of managed entries (MCP servers, LLM providers). */
export interface EntryKind<E extends { readonly name: string }> {
  /** In messages: `MCP server`, `LLM provider`. */
  readonly what: string;
  /** The file the operator's entries come from, named when one collides with an API entry. */
  readonly fileSetting: string;
  readonly table: ManagedTable;
  /** Audit events `<prefix>.create|update|delete`, about subjects of type `<prefix>`. */
  readonly auditPrefix: string;
  /** What a sealed value is bound to: `<prefix>|<tenant>|<name>|<field>`. */
  readonly sealPrefix: string;
  readonly signal: Extract<Signal['type'], 'mcp.servers.changed' | 'llm.providers.changed'>;
  readonly maxEntries: number;
  /** Checks an entry given through the API (fields named from `body`), sealing its secrets. */
  check(input: unknown, rules: SealRules): E;
  /** The entry as API input again, for a patch to apply to (its sealed values as `{sealed}`). */
  asInput(entry: E): Record<string, unknown>;
  /** The keys PATCH may name; of these, `merged` are maps merged key by key (`null` removes one). */
  readonly patchable: readonly string[];
  readonly merged: readonly string[];
  /** The entry's sealed values by field. */
  sealed(entry: E): ReadonlyMap<string, string>;
  /** The entry as answers and the audit show it: secrets as where they come from, never values. */
  shown(entry: E): JsonObject;
  /** Makes a tenant's entries (the file's, then the stored ones) the live ones on this node. */
  apply(tenantId: string, entries: readonly E[]): Promise<void>;
}

export interface ManagedEntriesDeps {
  readonly storage: Storage;
  readonly audit: AuditLog;
  readonly signals: Signals;
  readonly box: SecretBox;
  readonly log: FastifyBaseLogger;
  readonly clock: () => number;
}

export type EntrySource = 'file' | 'api';

/**
 * A kind of configuration each tenant holds: the operator's entries from a file (default tenant,
 * read-only here) and the ones its admins add through the API, stored with their secrets sealed.
 * Each change is one transaction with its audit event; the kind's signal then makes every node
 * apply the tenant's entries again.
 */
export class ManagedEntries<E extends { readonly name: string }> {
  private readonly fileEntries = new Map<string, readonly E[]>();
  private readonly tenants = new Set<string>();

  constructor(
    private readonly kind: EntryKind<E>,
    private readonly deps: ManagedEntriesDeps,
  ) {
    deps.signals.subscribe((signal) => {
      if (signal.type === kind.signal && 'tenantId' in signal) this.reloadLogged(signal.tenantId);
    });
    deps.signals.onReset(() => {
      this.loadAll().catch((error: unknown) =>
        deps.log.warn({ err: error }, `reloading the ${kind.what}s after a signal reset failed`),
      );
    });
  }

  /**
   * At startup: the file's entries (by tenant) and every stored one. A stored secret that does not
   * open with this node's secrets key, or a file entry named like an API one, stops the start.
   */
  async start(fileEntries: ReadonlyMap<string, readonly E[]>): Promise<void> {
    for (const [tenantId, entries] of fileEntries) this.fileEntries.set(tenantId, entries);
    const stored = await storedEntries<E>(this.deps.storage.db, this.kind.table);
    for (const { tenantId, entry } of stored) {
      for (const [field, box] of this.kind.sealed(entry)) {
        this.deps.box.open(box, this.binding(tenantId, entry.name, field));
      }
      if (this.source(tenantId, entry.name) === 'file') {
        throw new Error(
          `${this.kind.fileSetting}: ${this.kind.what} ${entry.name} was also added through the API; remove it from one of them`,
        );
      }
    }
    await this.loadAll(stored);
  }

  source(tenantId: string, name: string): EntrySource {
    return this.fileEntries.get(tenantId)?.some((entry) => entry.name === name) ? 'file' : 'api';
  }

  /** Opens a sealed value of an entry (when it is used). */
  reveal(tenantId: string, name: string, field: string, box: string): string {
    return this.deps.box.open(box, this.binding(tenantId, name, field));
  }

  async add(principal: HumanPrincipal, input: unknown): Promise<E> {
    const { tenantId } = principal;
    const { kind } = this;
    const entry = kind.check(
      input,
      this.rules(tenantId, () => false),
    );
    await this.write(tenantId, async (trx, now) => {
      this.refuseFileEntry(tenantId, entry.name, 'added');
      if (await storedEntry(trx, kind.table, tenantId, entry.name)) {
        throw new WardenError('conflict', `an ${kind.what} named ${entry.name} already exists`, {
          field: 'body.name',
        });
      }
      const count =
        (await countStored(trx, kind.table, tenantId)) + (this.fileEntries.get(tenantId)?.length ?? 0);
      if (count >= kind.maxEntries) {
        throw new WardenError('conflict', `a tenant has at most ${kind.maxEntries} ${kind.what}s`);
      }
      await insertEntry(trx, kind.table, tenantId, entry, by(principal), now);
      await this.audit(trx, principal, 'create', entry.name, { ...kind.shown(entry), source: 'api' }, now);
    });
    return entry;
  }

  async update(principal: HumanPrincipal, name: string, patch: unknown): Promise<E> {
    const { tenantId } = principal;
    const { kind } = this;
    const changes = this.checkPatch(patch);
    return this.write(tenantId, async (trx, now) => {
      this.refuseFileEntry(tenantId, name, 'changed');
      const before = await storedEntry<E>(trx, kind.table, tenantId, name);
      if (!before) throw notFound(kind.what, name);
      const sealed = kind.sealed(before);
      const after = kind.check(
        this.patched(before, changes),
        this.rules(tenantId, (field, box) => sealed.get(field) === box),
      );
      const changed = this.changedFields(before, after);
      if (changed.length === 0) return before;
      await updateEntry(trx, kind.table, tenantId, after, by(principal), now);
      await this.audit(trx, principal, 'update', name, { name, changed, after: kind.shown(after) }, now);
      return after;
    });
  }

  async remove(principal: HumanPrincipal, name: string): Promise<E> {
    const { tenantId } = principal;
    const { kind } = this;
    return this.write(tenantId, async (trx, now) => {
      this.refuseFileEntry(tenantId, name, 'removed');
      const entry = await storedEntry<E>(trx, kind.table, tenantId, name);
      if (!entry) throw notFound(kind.what, name);
      await deleteEntry(trx, kind.table, tenantId, name);
      await this.audit(trx, principal, 'delete', name, { ...kind.shown(entry), source: 'api' }, now);
      return entry;
    });
  }

  /** One transaction under the tenant lock, this node's entries applied again, then the other nodes told. */
  private async write<T>(tenantId: string, work: (trx: Trx, now: number) => Promise<T>): Promise<T> {
    const { storage, signals, clock } = this.deps;
    const result = await writeTransaction(storage, async (trx) => {
      await lockTenant(storage, trx, tenantId);
      return work(trx, clock());
    });
    await this.reload(tenantId);
    await signals.publish({ type: this.kind.signal, tenantId });
    return result;
  }

  private async loadAll(stored?: { tenantId: string; entry: E }[]): Promise<void> {
    const rows = stored ?? (await storedEntries<E>(this.deps.storage.db, this.kind.table));
    const byTenant = new Map<string, E[]>();
    // A tenant whose last stored entry is gone still needs its entries applied (to the file's alone).
    for (const tenantId of [...this.fileEntries.keys(), ...this.tenants]) byTenant.set(tenantId, []);
    for (const { tenantId, entry } of rows)
      byTenant.set(tenantId, [...(byTenant.get(tenantId) ?? []), entry]);
    for (const [tenantId, entries] of byTenant) await this.apply(tenantId, entries);
  }

  private async reload(tenantId: string): Promise<void> {
    const rows = await storedEntries<E>(this.deps.storage.db, this.kind.table, tenantId);
    await this.apply(
      tenantId,
      rows.map((row) => row.entry),
    );
  }

  private reloadLogged(tenantId: string): void {
    this.reload(tenantId).catch((error: unknown) =>
      this.deps.log.warn({ err: error, tenantId }, `reloading the ${this.kind.what}s of a tenant failed`),
    );
  }

  private apply(tenantId: string, stored: readonly E[]): Promise<void> {
    this.tenants.add(tenantId);
    return this.kind.apply(tenantId, [...(this.fileEntries.get(tenantId) ?? []), ...stored]);
  }

  private rules(tenantId: string, isStored: SealRules['isStored']): SealRules {
    return {
      seal: (value, owner, field) => this.deps.box.seal(value, this.binding(tenantId, owner, field)),
      isStored,
    };
  }

  private binding(tenantId: string, name: string, field: string): string {
    return sealBinding(this.kind.sealPrefix, tenantId, name, field);
  }

  private refuseFileEntry(tenantId: string, name: string, verb: string): void {
    if (this.source(tenantId, name) !== 'file') return;
    throw new WardenError(
      'conflict',
      `${this.kind.what} ${name} comes from ${this.kind.fileSetting}; it is ${verb} there, not through the API`,
      { source: 'file' },
    );
  }

  private audit(
    trx: Trx,
    principal: HumanPrincipal,
    verb: 'create' | 'update' | 'delete',
    name: string,
    payload: AuditEventInput['payload'],
    at: number,
  ): Promise<unknown> {
    const { auditPrefix } = this.kind;
    return this.deps.audit.append(trx, principal.tenantId, [
      {
        type: `${auditPrefix}.${verb}`,
        actor: actorOf(principal),
        subject: { type: auditPrefix, id: name },
        payload,
        at,
      },
    ]);
  }

  private checkPatch(patch: unknown): Record<string, unknown> {
    const { patchable, merged } = this.kind;
    if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
      throw invalidField('body', 'must be a mapping of the fields to change');
    }
    const keys = Object.keys(patch);
    if (keys.length === 0) throw invalidField('body', 'names no field to change');
    for (const key of keys) {
      if (key === 'name' || key === 'transport' || key === 'kind') {
        throw invalidField(`body.${key}`, `cannot be changed: remove the ${this.kind.what} and add it again`);
      }
      if (!patchable.includes(key)) {
        throw invalidField(`body.${key}`, `unknown key (expected ${patchable.join(', ')})`);
      }
    }
    for (const key of keys) {
      const given = (patch as Record<string, unknown>)[key];
      if (sealedBox(given)) throw invalidField(`body.${key}`, 'must be a value or {secret: value}');
      if (!merged.includes(key) || given === null) continue;
      if (typeof given !== 'object' || Array.isArray(given)) {
        throw invalidField(`body.${key}`, 'must be a mapping (a key set to null is removed)');
      }
      for (const [sub, value] of Object.entries(given as Record<string, unknown>)) {
        // Only the stored entry itself may carry sealed boxes into the check.
        if (sealedBox(value))
          throw invalidField(`body.${key}.${sub}`, 'must be a string, {secret: value}, or null');
      }
    }
    return patch as Record<string, unknown>;
  }

  /** The stored entry as API input with the patch applied: `merged` maps key by key, `null` clears. */
  private patched(before: E, patch: Record<string, unknown>): Record<string, unknown> {
    const input = this.kind.asInput(before);
    for (const [key, value] of Object.entries(patch)) {
      if (this.kind.merged.includes(key) && value !== null) {
        const mergedMap = { ...((input[key] as Record<string, unknown> | undefined) ?? {}) };
        for (const [sub, item] of Object.entries(value as Record<string, unknown>)) {
          if (item === null) delete mergedMap[sub];
          else mergedMap[sub] = item;
        }
        input[key] = mergedMap;
      } else if (value === null) {
        delete input[key];
      } else {
        input[key] = value;
      }
    }
    return input;
  }

  /** The fields an update changed, as input keys (`timeoutSeconds`; `headers.X` per merged key), never values. */
  private changedFields(before: E, after: E): string[] {
    const a = this.kind.asInput(before);
    const b = this.kind.asInput(after);
    const changed: string[] = [];
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (this.kind.merged.includes(key)) {
        const x = (a[key] ?? {}) as Record<string, unknown>;
        const y = (b[key] ?? {}) as Record<string, unknown>;
        for (const sub of new Set([...Object.keys(x), ...Object.keys(y)])) {
          if (JSON.stringify(x[sub]) !== JSON.stringify(y[sub])) changed.push(`${key}.${sub}`);
        }
      } else if (JSON.stringify(a[key]) !== JSON.stringify(b[key])) {
        changed.push(key);
      }
    }
    return changed.sort();
  }
}

/** What a stored secret is bound to: one field of one entry of one kind of one tenant. */
export function sealBinding(prefix: string, tenantId: string, name: string, field: string): string {
  return `${prefix}|${tenantId}|${name}|${field}`;
}

function sealedBox(value: unknown): boolean {
  return typeof value === 'object' && value !== null && 'sealed' in value;
}

function by(principal: HumanPrincipal): string {
  const actor = actorOf(principal);
  return `${actor.type}:${actor.id}`;
}
