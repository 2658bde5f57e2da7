/**
 * `_meta` keys that belong to one hop of the bridge, not to the call: the SDK's reserved envelope
 * (`io.modelcontextprotocol/…`: protocol version, client and server info) is set by each side for its
 * own connection, and a progress token names a request on one connection only. Relaying them would
 * make the gateway read the desktop client's envelope as the bridge's, and the desktop client read
 * the gateway's server info as the bridge's. Everything else (Warden's `warden` task context on a
 * call, `warden/decision` on a result) passes through.
 */
const RESERVED_PREFIX = 'io.modelcontextprotocol/';

type WithMeta = { _meta?: Record<string, unknown> | undefined };

/** The value without its hop-bound `_meta` keys; without `_meta` at all when nothing else is left. */
export function withoutHopMeta<T extends WithMeta>(value: T): T {
  if (value._meta === undefined) return value;
  const { _meta, ...rest } = value;
  const kept = Object.entries(_meta).filter(
    ([key]) => !key.startsWith(RESERVED_PREFIX) && key !== 'progressToken',
  );
  return (kept.length > 0 ? { ...rest, _meta: Object.fromEntries(kept) } : rest) as T;
}
