import type { FastifyBaseLogger } from 'fastify';
import type { AuditEventInput, AuditLog } from '../audit/audit-log.js';
import { actorOf, type HumanPrincipal } from '../credentials/principal.js';
import { invalidField, notFound, WardenError } from '../errors.js';
import type { SecretBox } from '../secrets/secret-box.js';
import type { Signals } from '../signals/signals.js';
import { type Storage, type Trx, writeTransaction } from '../storage/database.js';
import { lockTenant } from '../tenants/lock.js';
import { secretBinding } from './secrets.js';
import {
  type ApiEntryRules,
  type ConfiguredValue,
  checkServerEntry,
  type ServerEntry,
} from './server-entry.js';
import {
  countStoredServers,
  deleteServer,
  insertServer,
  storedServer,
  storedServers,
  updateServer,
} from './server-store.js';
import { MAX_SERVERS } from './servers-file.js';
import { type ShownEntry, shownEntry } from './shown-entry.js';
import type { Upstream } from './upstream.js';
import type { UpstreamPool } from './upstream-pool.js';

export interface McpServerDeps {
  readonly storage: Storage;
  readonly audit: AuditLog;
  readonly signals: Signals;
  readonly pool: UpstreamPool;
  readonly box: SecretBox;
  /** Commands stdio servers added through the API may run (WARDEN_MCP_API_COMMANDS). */
  readonly apiCommands: readonly string[];
  readonly log: FastifyBaseLogger;
  readonly clock: () => number;
}

export type ServerSource = 'file' | 'api';

/** A tenant's upstream server with where it is managed. */
export interface ListedServer {
  readonly upstream: Upstream;
  readonly source: ServerSource;
}

/** What PATCH may change; `name` and `transport` make another server (remove it, add it again). */
const PATCHABLE = new Set(['command', 'args', 'env', 'cwd', 'url', 'headers', 'timeoutSeconds', 'tools']);

/**
 * A tenant's upstream MCP servers: the servers file's (the operator's, default tenant, read-only here)
 * and the ones its admins add through the API, stored with their secrets sealed. Each change is one
 * transaction with its audit event; `mcp.servers.changed` then makes every node set the tenant's
 * servers in its pool again (unchanged ones keep running).
 */
export class McpServerService {
  private readonly fileEntries = new Map<string, readonly ServerEntry[]>();

  constructor(private readonly deps: McpServerDeps) {
    deps.signals.subscribe((signal) => {
      if (signal.type === 'mcp.servers.changed') this.reloadLogged(signal.tenantId);
    });
    deps.signals.onReset(() => {
      this.loadAll().catch((error: unknown) =>
        deps.log.warn({ err: error }, 'reloading the MCP servers after a signal reset failed'),
      );
    });
  }

  /**
   * At startup: the servers file's entries (by tenant) and every stored server. A stored secret that
   * does not open with this node's secrets key, or a file entry named like an API one, stops the start.
   */
  async start(fileEntries: ReadonlyMap<string, readonly ServerEntry[]>): Promise<void> {
    for (const [tenantId, entries] of fileEntries) this.fileEntries.set(tenantId, entries);
    const stored = await storedServers(this.deps.storage.db);
    for (const { tenantId, entry } of stored) {
      this.checkSecretsOpen(tenantId, entry);
      if (this.fromFile(tenantId, entry.name)) {
        throw new Error(
          `WARDEN_MCP_SERVERS_FILE: server ${entry.name} was also added through the API; remove it from one of them`,
        );
      }
    }
    await this.loadAll(stored);
  }

  list(tenantId: string): ListedServer[] {
    return this.deps.pool.servers(tenantId).map((upstream) => this.listed(tenantId, upstream));
  }

  async add(principal: HumanPrincipal, input: unknown): Promise<ListedServer> {
    const { tenantId } = principal;
    const entry = checkServerEntry(input, 'body', { api: this.rules(tenantId, () => false) });
    await this.write(tenantId, async (trx, now) => {
      this.refuseFileServer(tenantId, entry.name, 'added');
      if (await storedServer(trx, tenantId, entry.name)) {
        throw new WardenError('conflict', `an MCP server named ${entry.name} already exists`, {
          field: 'body.name',
        });
      }
      const count = (await countStoredServers(trx, tenantId)) + (this.fileEntries.get(tenantId)?.length ?? 0);
      if (count >= MAX_SERVERS) {
        throw new WardenError('conflict', `a tenant has at most ${MAX_SERVERS} MCP servers`);
      }
      await insertServer(trx, tenantId, entry, by(principal), now);
      await this.deps.audit.append(trx, tenantId, [
        event('mcp_server.create', principal, entry.name, { ...shownEntry(entry), source: 'api' }, now),
      ]);
    });
    return this.listedByName(tenantId, entry.name);
  }

  async update(principal: HumanPrincipal, name: string, patch: unknown): Promise<ListedServer> {
    const { tenantId } = principal;
    const changes = checkPatch(patch);
    await this.write(tenantId, async (trx, now) => {
      this.refuseFileServer(tenantId, name, 'changed');
      const before = await storedServer(trx, tenantId, name);
      if (!before) throw notFound('MCP server', name);
      const stored = (field: string, box: string) => sealedAt(before, field) === box;
      const after = checkServerEntry(patched(before, changes), 'body', { api: this.rules(tenantId, stored) });
      const changed = changedFields(before, after);
      if (changed.length === 0) return;
      await updateServer(trx, tenantId, after, by(principal), now);
      await this.deps.audit.append(trx, tenantId, [
        event('mcp_server.update', principal, name, { name, changed, after: shownEntry(after) }, now),
      ]);
    });
    return this.listedByName(tenantId, name);
  }

  async remove(principal: HumanPrincipal, name: string): Promise<ShownEntry> {
    const { tenantId } = principal;
    const removed = await this.write(tenantId, async (trx, now) => {
      this.refuseFileServer(tenantId, name, 'removed');
      const entry = await storedServer(trx, tenantId, name);
      if (!entry) throw notFound('MCP server', name);
      await deleteServer(trx, tenantId, name);
      await this.deps.audit.append(trx, tenantId, [
        event('mcp_server.delete', principal, name, { ...shownEntry(entry), source: 'api' }, now),
      ]);
      return entry;
    });
    return shownEntry(removed);
  }

  /** One transaction under the tenant lock, this node's pool set again, then the other nodes told. */
  private async write<T>(tenantId: string, work: (trx: Trx, now: number) => Promise<T>): Promise<T> {
    const { storage, signals, clock } = this.deps;
    const result = await writeTransaction(storage, async (trx) => {
      await lockTenant(storage, trx, tenantId);
      return work(trx, clock());
    });
    await this.reload(tenantId);
    await signals.publish({ type: 'mcp.servers.changed', tenantId });
    return result;
  }

  private async loadAll(stored?: { tenantId: string; entry: ServerEntry }[]): Promise<void> {
    const rows = stored ?? (await storedServers(this.deps.storage.db));
    const byTenant = new Map<string, ServerEntry[]>();
    for (const tenantId of this.fileEntries.keys()) byTenant.set(tenantId, []);
    for (const tenantId of this.deps.pool.tenants()) byTenant.set(tenantId, []);
    for (const { tenantId, entry } of rows) {
      byTenant.set(tenantId, [...(byTenant.get(tenantId) ?? []), entry]);
    }
    for (const [tenantId, entries] of byTenant) await this.setPool(tenantId, entries);
  }

  private async reload(tenantId: string): Promise<void> {
    const rows = await storedServers(this.deps.storage.db, tenantId);
    await this.setPool(
      tenantId,
      rows.map((row) => row.entry),
    );
  }

  private reloadLogged(tenantId: string): void {
    this.reload(tenantId).catch((error: unknown) =>
      this.deps.log.warn({ err: error, tenantId }, 'reloading the MCP servers of a tenant failed'),
    );
  }

  private setPool(tenantId: string, stored: readonly ServerEntry[]): Promise<void> {
    return this.deps.pool.replace(tenantId, [...(this.fileEntries.get(tenantId) ?? []), ...stored]);
  }

  private rules(tenantId: string, isStored: ApiEntryRules['isStored']): ApiEntryRules {
    const { box, apiCommands } = this.deps;
    return {
      commands: apiCommands,
      seal: (value, server, field) => box.seal(value, secretBinding(tenantId, server, field)),
      isStored,
    };
  }

  private checkSecretsOpen(tenantId: string, entry: ServerEntry): void {
    for (const [field, box] of sealedValues(entry)) {
      this.deps.box.open(box, secretBinding(tenantId, entry.name, field));
    }
  }

  private fromFile(tenantId: string, name: string): boolean {
    return this.fileEntries.get(tenantId)?.some((entry) => entry.name === name) ?? false;
  }

  private refuseFileServer(tenantId: string, name: string, verb: string): void {
    if (!this.fromFile(tenantId, name)) return;
    throw new WardenError(
      'conflict',
      `MCP server ${name} is managed by the servers file; it is ${verb} there, not through the API`,
      { source: 'file' },
    );
  }

  private listed(tenantId: string, upstream: Upstream): ListedServer {
    return { upstream, source: this.fromFile(tenantId, upstream.name) ? 'file' : 'api' };
  }

  private listedByName(tenantId: string, name: string): ListedServer {
    const upstream = this.deps.pool.get(tenantId, name);
    if (!upstream) throw notFound('MCP server', name);
    return this.listed(tenantId, upstream);
  }
}

function by(principal: HumanPrincipal): string {
  const actor = actorOf(principal);
  return `${actor.type}:${actor.id}`;
}

function event(
  type: string,
  principal: HumanPrincipal,
  name: string,
  payload: AuditEventInput['payload'],
  at: number,
): AuditEventInput {
  return { type, actor: actorOf(principal), subject: { type: 'mcp_server', id: name }, payload, at };
}

type Patch = Record<string, unknown>;

function checkPatch(patch: unknown): Patch {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
    throw invalidField('body', 'must be a mapping of the fields to change');
  }
  const keys = Object.keys(patch);
  if (keys.length === 0) throw invalidField('body', 'names no field to change');
  for (const key of keys) {
    if (key === 'name' || key === 'transport') {
      throw invalidField(`body.${key}`, 'cannot be changed: remove the server and add it again');
    }
    if (!PATCHABLE.has(key)) {
      throw invalidField(`body.${key}`, `unknown key (expected ${[...PATCHABLE].join(', ')})`);
    }
  }
  for (const kind of ['env', 'headers'] as const) {
    const given = (patch as Patch)[kind];
    if (given === undefined) continue;
    if (typeof given !== 'object' || given === null || Array.isArray(given)) {
      throw invalidField(`body.${kind}`, 'must be a mapping (a key set to null is removed)');
    }
    for (const [key, value] of Object.entries(given)) {
      // Only the stored entry itself may carry sealed boxes into the check.
      if (typeof value === 'object' && value !== null && 'sealed' in value) {
        throw invalidField(`body.${kind}.${key}`, 'must be a string, {secret: value}, or null');
      }
    }
  }
  return patch as Patch;
}

/** The stored entry as API input with the patch applied: env and headers merge per key. */
function patched(before: ServerEntry, patch: Patch): Record<string, unknown> {
  const input: Record<string, unknown> = {
    name: before.name,
    transport: before.transport,
    timeoutSeconds: before.timeoutMs / 1_000,
    tools: Object.fromEntries(
      Object.entries(before.estimates).map(([tool, usd]) => [tool, { estimateUsd: usd }]),
    ),
    ...(before.transport === 'http'
      ? { url: before.url, headers: { ...before.headers } }
      : {
          command: before.command,
          args: [...before.args],
          env: { ...before.env },
          ...(before.cwd ? { cwd: before.cwd } : {}),
        }),
  };
  for (const [key, value] of Object.entries(patch)) {
    if (key === 'env' || key === 'headers') {
      const merged = { ...((input[key] as Record<string, unknown> | undefined) ?? {}) };
      for (const [name, item] of Object.entries(value as Record<string, unknown>)) {
        if (item === null) delete merged[name];
        else merged[name] = item;
      }
      input[key] = merged;
    } else if (value === null) {
      delete input[key];
    } else {
      input[key] = value;
    }
  }
  return input;
}

function valuesOf(entry: ServerEntry): Record<string, ConfiguredValue> {
  const prefix = entry.transport === 'http' ? 'headers' : 'env';
  const values = entry.transport === 'http' ? entry.headers : entry.env;
  return Object.fromEntries(Object.entries(values).map(([key, value]) => [`${prefix}.${key}`, value]));
}

function sealedValues(entry: ServerEntry): [string, string][] {
  return Object.entries(valuesOf(entry)).flatMap(([field, value]) =>
    typeof value === 'object' && 'sealed' in value ? [[field, value.sealed] as [string, string]] : [],
  );
}

function sealedAt(entry: ServerEntry, field: string): string | undefined {
  const value = valuesOf(entry)[field];
  return typeof value === 'object' && 'sealed' in value ? value.sealed : undefined;
}

/** The fields an update changed: top-level names, and `env.X` / `headers.X` per value (never the value). */
function changedFields(before: ServerEntry, after: ServerEntry): string[] {
  const changed: string[] = [];
  const a = before as unknown as Record<string, unknown>;
  const b = after as unknown as Record<string, unknown>;
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (key === 'env' || key === 'headers') continue;
    if (JSON.stringify(a[key]) !== JSON.stringify(b[key]))
      changed.push(key === 'timeoutMs' ? 'timeoutSeconds' : key === 'estimates' ? 'tools' : key);
  }
  const valuesBefore = valuesOf(before);
  const valuesAfter = valuesOf(after);
  for (const field of new Set([...Object.keys(valuesBefore), ...Object.keys(valuesAfter)])) {
    if (JSON.stringify(valuesBefore[field]) !== JSON.stringify(valuesAfter[field])) changed.push(field);
  }
  return changed.sort();
}
