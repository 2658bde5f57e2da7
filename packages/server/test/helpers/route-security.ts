import type { RouteAuth } from '../../src/http/auth.js';
import type { HumanRole } from '../../src/tenants/roles.js';
import { DEFAULT_CRITERIA } from '../../src/trust/criteria.js';

/**
 * Ids of resources that live in one tenant (the victim). The route-security test calls every route
 * against them with the credentials of another tenant, and expects never to reach them.
 */
export interface Victim {
  readonly humanId: string;
  readonly tokenId: string;
  readonly groupId: string;
  readonly agentId: string;
  readonly keyId: string;
  readonly approvalId: string;
  readonly grantId: string;
  readonly deliveryId: string;
  readonly budgetId: string;
  readonly rateLimitId: string;
  readonly decisionId: string;
  readonly taskId: string;
  readonly eventId: string;
  /** A delegation grant the victim agent made. */
  readonly delegationId: string;
  /** A console session of the victim tenant's owner. */
  readonly sessionId: string;
  /** A recertification campaign over the victim agent's owner's agents. */
  readonly campaignId: string;
  /** A policy version scheduled (notify-first) in the victim's tenant. */
  readonly policyScheduleId: string;
}

export interface RouteSecurity {
  /** Who may call the route: must equal the `auth` the route declares. */
  readonly auth: RouteAuth;
  /** A request the right caller could make of the victim's resources: path, query and a valid body. */
  readonly request: (victim: Victim) => { readonly url: string; readonly body?: unknown };
  /**
   * What a caller of another tenant, holding the right credential, gets for that request, exactly
   * as for an id that does not exist: 404 for an id in the path, 400 `invalid_request` naming the
   * field for an id in the body. `null` when the request names nothing of a tenant (a list, the
   * caller's own tenant), so there is nothing foreign to reach and it is not sent.
   */
  readonly foreign: 404 | 400 | null;
  /** A public route: the statuses an anonymous caller may get for `request` (default: 200, or 503). */
  readonly anonymous?: readonly number[];
}

const human = (roles?: readonly HumanRole[]): RouteAuth =>
  roles ? { kind: 'human', roles } : { kind: 'human' };
const AGENT: RouteAuth = { kind: 'agent' };
const PUBLIC: RouteAuth = { kind: 'public' };
const METRICS: RouteAuth = { kind: 'metrics' };
/** The console's session cookie only. */
const SESSION: RouteAuth = { kind: 'session' };
const ADMIN = human([]);
const SECURITY = human(['security']);
const READERS = human(['security', 'auditor', 'owner']);

const reason = { reason: 'route security check' };

/**
 * Every route of the HTTP API, keyed `METHOD /path` exactly as registered (HEAD routes follow their
 * GET). test/route-security.test.ts fails for a route that is missing here and for an entry whose
 * route is gone. A new route adds one entry: its `auth`, a request aimed at the victim's ids (add an
 * id to `Victim`, created in the test's fixtures, if the route names a new kind of resource), and
 * whether another tenant's caller must get 404. The shared checks then run for it on SQLite and
 * PostgreSQL: no credential, the wrong kind of credential, a human without the role, another
 * tenant's id, a body that is not a JSON object, and nothing written by any of those. The same
 * checks run with the console's session cookie in place of a bearer token (a human route takes
 * either; an agent route refuses the cookie; a write with the cookie needs the CSRF header).
 */
export const ROUTE_SECURITY: Readonly<Record<string, RouteSecurity>> = {
  'GET /openapi.json': { auth: PUBLIC, request: () => ({ url: '/openapi.json' }), foreign: null },
  'GET /healthz': { auth: PUBLIC, request: () => ({ url: '/healthz' }), foreign: null },
  'GET /readyz': { auth: PUBLIC, request: () => ({ url: '/readyz' }), foreign: null },
  // Prometheus: open to loopback; from elsewhere only with WARDEN_METRICS_TOKEN (403 when none is
  // configured, 401 without the right token when one is). Names no tenant's data but its slug.
  'GET /metrics': { auth: METRICS, request: () => ({ url: '/metrics' }), foreign: null },

  // The web console: its files (public; the API behind them is what is protected; its pages are the
  // not-found handler's, outside the API's paths), sign-in, sessions
  'GET /assets/*': {
    auth: PUBLIC,
    request: () => ({ url: '/assets/none-1234.js' }),
    foreign: null,
    anonymous: [404],
  },
  'POST /v1/console/sign-in': {
    auth: PUBLIC,
    request: () => ({ url: '/v1/console/sign-in', body: { token: `wdn_u_${'x'.repeat(43)}` } }),
    foreign: null,
    anonymous: [401],
  },
  'GET /v1/console/session': {
    auth: SESSION,
    request: () => ({ url: '/v1/console/session' }),
    foreign: null,
  },
  'POST /v1/console/sign-out': {
    auth: SESSION,
    request: () => ({ url: '/v1/console/sign-out' }),
    foreign: null,
  },
  'GET /v1/console/sessions': {
    auth: human(),
    request: () => ({ url: '/v1/console/sessions?all=true' }),
    foreign: null,
  },
  'DELETE /v1/console/sessions/:id': {
    auth: human(),
    request: (v) => ({ url: `/v1/console/sessions/${v.sessionId}` }),
    foreign: 404,
  },
  'POST /v1/console/sign-in-links': {
    auth: human(),
    request: (v) => ({ url: '/v1/console/sign-in-links', body: { humanId: v.humanId } }),
    foreign: 400,
  },

  // Humans, groups and tokens
  'GET /v1/me': { auth: human(), request: () => ({ url: '/v1/me' }), foreign: null },
  'GET /v1/tenant': { auth: human(), request: () => ({ url: '/v1/tenant' }), foreign: null },
  'POST /v1/humans': {
    auth: ADMIN,
    request: () => ({
      url: '/v1/humans',
      body: { email: 'new@example.test', name: 'New', roles: ['viewer'] },
    }),
    foreign: null,
  },
  'GET /v1/humans': { auth: human(), request: () => ({ url: '/v1/humans' }), foreign: null },
  'GET /v1/humans/:id': { auth: human(), request: (v) => ({ url: `/v1/humans/${v.humanId}` }), foreign: 404 },
  'PATCH /v1/humans/:id': {
    auth: ADMIN,
    request: (v) => ({ url: `/v1/humans/${v.humanId}`, body: { status: 'disabled' } }),
    foreign: 404,
  },
  'POST /v1/humans/:id/tokens': {
    auth: human(),
    request: (v) => ({ url: `/v1/humans/${v.humanId}/tokens`, body: { name: 'stolen' } }),
    foreign: 404,
  },
  'GET /v1/humans/:id/tokens': {
    auth: human(),
    request: (v) => ({ url: `/v1/humans/${v.humanId}/tokens` }),
    foreign: 404,
  },
  'DELETE /v1/tokens/:id': {
    auth: human(),
    request: (v) => ({ url: `/v1/tokens/${v.tokenId}` }),
    foreign: 404,
  },
  'POST /v1/groups': {
    auth: ADMIN,
    request: () => ({ url: '/v1/groups', body: { name: 'new-group' } }),
    foreign: null,
  },
  'GET /v1/groups': { auth: human(), request: () => ({ url: '/v1/groups' }), foreign: null },
  'GET /v1/groups/:id': { auth: human(), request: (v) => ({ url: `/v1/groups/${v.groupId}` }), foreign: 404 },
  'PUT /v1/groups/:id/members': {
    auth: ADMIN,
    request: (v) => ({ url: `/v1/groups/${v.groupId}/members`, body: { members: [] } }),
    foreign: 404,
  },
  'DELETE /v1/groups/:id': {
    auth: ADMIN,
    request: (v) => ({ url: `/v1/groups/${v.groupId}` }),
    foreign: 404,
  },

  // Agents
  'POST /v1/agents': {
    auth: human(['owner']),
    request: (v) => ({
      url: '/v1/agents',
      body: {
        name: 'new-agent',
        ownerId: v.humanId,
        purpose: 'p',
        risk: 'internal',
        environments: ['staging'],
      },
    }),
    foreign: 400,
  },
  'GET /v1/agents': { auth: human(), request: () => ({ url: '/v1/agents' }), foreign: null },
  'GET /v1/agents/:id': { auth: human(), request: (v) => ({ url: `/v1/agents/${v.agentId}` }), foreign: 404 },
  'PATCH /v1/agents/:id': {
    auth: human(),
    request: (v) => ({ url: `/v1/agents/${v.agentId}`, body: { purpose: 'taken over' } }),
    foreign: 404,
  },
  'POST /v1/agents/:id/activate': {
    auth: ADMIN,
    request: (v) => ({ url: `/v1/agents/${v.agentId}/activate`, body: {} }),
    foreign: 404,
  },
  'POST /v1/agents/:id/suspend': {
    auth: human(),
    request: (v) => ({ url: `/v1/agents/${v.agentId}/suspend`, body: reason }),
    foreign: 404,
  },
  'POST /v1/agents/:id/resume': {
    auth: SECURITY,
    request: (v) => ({ url: `/v1/agents/${v.agentId}/resume`, body: {} }),
    foreign: 404,
  },
  'POST /v1/agents/:id/retire': {
    auth: human(),
    request: (v) => ({ url: `/v1/agents/${v.agentId}/retire`, body: reason }),
    foreign: 404,
  },
  'POST /v1/agents/spawn': {
    auth: AGENT,
    request: () => ({ url: '/v1/agents/spawn', body: { name: 'child', purpose: 'p' } }),
    foreign: null,
  },

  // Approvals, incidents, access requests and grants
  'GET /v1/approvals': { auth: human(), request: () => ({ url: '/v1/approvals' }), foreign: null },
  'GET /v1/approvals/:id/events': {
    auth: AGENT,
    request: (v) => ({ url: `/v1/approvals/${v.approvalId}/events` }),
    foreign: 404,
  },
  'GET /v1/approvals/stream': {
    auth: human(),
    request: () => ({ url: '/v1/approvals/stream' }),
    foreign: null,
  },
  'GET /v1/approvals/:id': {
    auth: human(),
    request: (v) => ({ url: `/v1/approvals/${v.approvalId}` }),
    foreign: 404,
  },
  'POST /v1/approvals/:id/approve': {
    auth: { kind: 'human', decides: true },
    request: (v) => ({ url: `/v1/approvals/${v.approvalId}/approve`, body: {} }),
    foreign: 404,
  },
  'POST /v1/approvals/:id/reauth': {
    auth: { kind: 'human', decides: true },
    request: (v) => ({
      url: `/v1/approvals/${v.approvalId}/reauth`,
      body: { secret: 'a secret of some length' },
    }),
    foreign: 404,
  },
  'GET /v1/me/reauth-secret': {
    auth: human(),
    request: () => ({ url: '/v1/me/reauth-secret' }),
    foreign: null,
  },
  'PUT /v1/me/reauth-secret': {
    auth: human(),
    // Too short: refused before anything is written, so the route changes nothing for any caller.
    request: () => ({ url: '/v1/me/reauth-secret', body: { secret: 'short' } }),
    foreign: null,
  },
  'DELETE /v1/humans/:id/reauth-secret': {
    auth: ADMIN,
    request: (v) => ({ url: `/v1/humans/${v.humanId}/reauth-secret` }),
    foreign: 404,
  },
  'GET /v1/step-up/hook': { auth: ADMIN, request: () => ({ url: '/v1/step-up/hook' }), foreign: null },
  'PUT /v1/step-up/hook': {
    auth: ADMIN,
    request: () => ({ url: '/v1/step-up/hook', body: { url: 'ftp://refused.example', secret: 'short' } }),
    foreign: null,
  },
  'DELETE /v1/step-up/hook': { auth: ADMIN, request: () => ({ url: '/v1/step-up/hook' }), foreign: null },
  // The product's signed confirmation: without its signature the caller is anonymous.
  'POST /v1/step-up/callback': {
    auth: PUBLIC,
    anonymous: [401],
    request: (v) => ({
      url: '/v1/step-up/callback',
      body: {
        requestId: 'sur_00000000000000000000000000',
        approvalId: v.approvalId,
        subject: 'cus_1',
        actionDigest: null,
        verdict: 'approve',
      },
    }),
    foreign: null,
  },
  'POST /v1/approvals/:id/deny': {
    auth: { kind: 'human', decides: true },
    request: (v) => ({ url: `/v1/approvals/${v.approvalId}/deny`, body: {} }),
    foreign: 404,
  },
  'GET /v1/approvals/:id/wait': {
    auth: AGENT,
    request: (v) => ({ url: `/v1/approvals/${v.approvalId}/wait?timeoutSeconds=0` }),
    foreign: 404,
  },
  'GET /v1/incidents': {
    auth: human(['security', 'auditor']),
    request: () => ({ url: '/v1/incidents' }),
    foreign: null,
  },
  'POST /v1/access-requests': {
    auth: AGENT,
    request: () => ({
      url: '/v1/access-requests',
      body: { tools: ['crm.contacts.read'], justification: 'j', durationSeconds: 3600 },
    }),
    foreign: null,
  },
  'POST /v1/agents/:id/access-requests': {
    auth: human(),
    request: (v) => ({
      url: `/v1/agents/${v.agentId}/access-requests`,
      body: { tools: ['crm.contacts.read'], justification: 'j', durationSeconds: 3600 },
    }),
    foreign: 404,
  },
  'GET /v1/agents/:id/grants': {
    auth: human(),
    request: (v) => ({ url: `/v1/agents/${v.agentId}/grants` }),
    foreign: 404,
  },
  'DELETE /v1/agents/:id/grants/:grantId': {
    auth: human(),
    request: (v) => ({ url: `/v1/agents/${v.agentId}/grants/${v.grantId}` }),
    foreign: 404,
  },

  // Notifications
  'GET /v1/notifications/deliveries': {
    auth: ADMIN,
    request: () => ({ url: '/v1/notifications/deliveries' }),
    foreign: null,
  },
  'POST /v1/notifications/deliveries/:id/replay': {
    auth: ADMIN,
    request: (v) => ({ url: `/v1/notifications/deliveries/${v.deliveryId}/replay` }),
    foreign: 404,
  },

  // Agent keys
  'POST /v1/agents/:id/keys': {
    auth: human(),
    request: (v) => ({ url: `/v1/agents/${v.agentId}/keys`, body: {} }),
    foreign: 404,
  },
  'GET /v1/agents/:id/keys': {
    auth: human(),
    request: (v) => ({ url: `/v1/agents/${v.agentId}/keys` }),
    foreign: 404,
  },
  'DELETE /v1/agents/:id/keys/:keyId': {
    auth: human(),
    request: (v) => ({ url: `/v1/agents/${v.agentId}/keys/${v.keyId}` }),
    foreign: 404,
  },

  // Policies
  'GET /v1/policies': { auth: human(), request: () => ({ url: '/v1/policies' }), foreign: null },
  'GET /v1/policies/versions': {
    auth: human(),
    request: () => ({ url: '/v1/policies/versions' }),
    foreign: null,
  },
  // A version is the hash of its content: two tenants with the same files share it, each reading
  // its own stored copy (console-reads.test.ts checks another tenant's version is not found).
  'GET /v1/policies/versions/:version': {
    auth: human(),
    request: () => ({ url: '/v1/policies/versions/0000' }),
    foreign: null,
  },
  'POST /v1/policies/reload': {
    auth: SECURITY,
    request: () => ({ url: '/v1/policies/reload' }),
    foreign: null,
  },
  'POST /v1/policies/preview': {
    auth: SECURITY,
    request: (v) => ({
      url: '/v1/policies/preview',
      body: { files: [{ path: 'empty.yaml', text: '' }], agents: [v.agentId] },
    }),
    foreign: 400,
  },
  'GET /v1/policies/scheduled': {
    auth: human(),
    request: () => ({ url: '/v1/policies/scheduled?all=true' }),
    foreign: null,
  },
  'POST /v1/policies/scheduled/:id/cancel': {
    auth: SECURITY,
    request: (v) => ({ url: `/v1/policies/scheduled/${v.policyScheduleId}/cancel`, body: {} }),
    foreign: 404,
  },
  'GET /v1/policies/settings': {
    auth: human(),
    request: () => ({ url: '/v1/policies/settings' }),
    foreign: null,
  },
  'PUT /v1/policies/settings': {
    auth: SECURITY,
    request: () => ({ url: '/v1/policies/settings', body: { notifyFirst: '1h' } }),
    foreign: null,
  },
  'POST /v1/policies/shadow': {
    auth: SECURITY,
    request: () => ({ url: '/v1/policies/shadow', body: { files: [{ path: 'empty.yaml', text: '' }] } }),
    foreign: null,
  },
  'DELETE /v1/policies/shadow': {
    auth: SECURITY,
    request: () => ({ url: '/v1/policies/shadow' }),
    foreign: null,
  },
  'GET /v1/policies/shadow': {
    auth: human(['security', 'auditor']),
    request: () => ({ url: '/v1/policies/shadow' }),
    foreign: null,
  },

  // Kill switch
  'POST /v1/kill/agents/:id': {
    auth: human(),
    request: (v) => ({ url: `/v1/kill/agents/${v.agentId}`, body: reason }),
    foreign: 404,
  },
  'POST /v1/kill/owners/:humanId': {
    auth: SECURITY,
    request: (v) => ({ url: `/v1/kill/owners/${v.humanId}`, body: reason }),
    foreign: 404,
  },
  'POST /v1/kill/tenant': {
    auth: SECURITY,
    request: () => ({ url: '/v1/kill/tenant', body: reason }),
    foreign: null,
  },
  'DELETE /v1/kill/tenant': { auth: ADMIN, request: () => ({ url: '/v1/kill/tenant' }), foreign: null },
  'GET /v1/kill/tenant': { auth: human(), request: () => ({ url: '/v1/kill/tenant' }), foreign: null },

  // Decisions
  // The MCP gateway (Streamable HTTP): the agent's key, and only its own tenant's servers.
  ...mcpRoutes(),
  'GET /v1/mcp/servers': {
    auth: human(['security', 'auditor']),
    request: () => ({ url: '/v1/mcp/servers' }),
    foreign: null,
  },
  'POST /v1/mcp/servers': {
    auth: SECURITY,
    request: () => ({
      url: '/v1/mcp/servers',
      body: { name: 'routecheck', transport: 'http', url: 'http://127.0.0.1:9/mcp' },
    }),
    foreign: null,
  },
  'PATCH /v1/mcp/servers/:name': {
    auth: SECURITY,
    request: () => ({ url: '/v1/mcp/servers/everything', body: { timeoutSeconds: 5 } }),
    foreign: 404,
  },
  'DELETE /v1/mcp/servers/:name': {
    auth: SECURITY,
    request: () => ({ url: '/v1/mcp/servers/everything' }),
    foreign: 404,
  },
  'GET /v1/mcp/servers/:name/tools': {
    auth: human(['security', 'auditor']),
    request: () => ({ url: '/v1/mcp/servers/everything/tools' }),
    foreign: 404,
  },
  // The LLM proxy: the agent's key (Bearer, or x-api-key as Anthropic's clients send it).
  'POST /llm/openai/v1/chat/completions': {
    auth: AGENT,
    request: () => ({
      url: '/llm/openai/v1/chat/completions',
      body: { model: 'gpt-4o', messages: [{ role: 'user', content: 'route security check' }] },
    }),
    foreign: null,
  },
  'POST /llm/anthropic/v1/messages': {
    auth: AGENT,
    request: () => ({
      url: '/llm/anthropic/v1/messages',
      body: { model: 'claude-sonnet-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'check' }] },
    }),
    foreign: null,
  },
  'GET /v1/llm/providers': {
    auth: human(['security', 'auditor']),
    request: () => ({ url: '/v1/llm/providers' }),
    foreign: null,
  },
  'GET /v1/llm/shadow/report': {
    auth: human(['security', 'auditor']),
    request: () => ({ url: '/v1/llm/shadow/report' }),
    foreign: null,
  },
  // Permission drift and recertification campaigns
  'GET /v1/drift': { auth: READERS, request: () => ({ url: '/v1/drift' }), foreign: null },
  'GET /v1/drift/agents/:id': {
    auth: READERS,
    request: (v) => ({ url: `/v1/drift/agents/${v.agentId}` }),
    foreign: 404,
  },
  'POST /v1/recert/campaigns': {
    auth: SECURITY,
    request: (v) => ({
      url: '/v1/recert/campaigns',
      body: { name: 'route check', deadline: '2099-01-01T00:00:00.000Z', scope: { owner: v.humanId } },
    }),
    foreign: 400,
  },
  'GET /v1/recert/campaigns': {
    auth: READERS,
    request: () => ({ url: '/v1/recert/campaigns' }),
    foreign: null,
  },
  'GET /v1/recert/campaigns/:id': {
    auth: READERS,
    request: (v) => ({ url: `/v1/recert/campaigns/${v.campaignId}` }),
    foreign: 404,
  },
  'POST /v1/recert/campaigns/:id/agents/:agentId/certify': {
    auth: human(),
    request: (v) => ({
      url: `/v1/recert/campaigns/${v.campaignId}/agents/${v.agentId}/certify`,
      body: { decision: 'keep' },
    }),
    foreign: 404,
  },
  'GET /v1/recert/campaigns/:id/export': {
    auth: human(['security', 'auditor']),
    request: (v) => ({ url: `/v1/recert/campaigns/${v.campaignId}/export?format=json` }),
    foreign: 404,
  },
  'GET /v1/recert/settings': {
    auth: human(['security', 'auditor']),
    request: () => ({ url: '/v1/recert/settings' }),
    foreign: null,
  },
  'PUT /v1/recert/settings': {
    auth: SECURITY,
    request: () => ({ url: '/v1/recert/settings', body: { graceSeconds: 60 } }),
    foreign: null,
  },
  'POST /v1/llm/providers': {
    auth: SECURITY,
    request: () => ({
      url: '/v1/llm/providers',
      body: { name: 'routecheck', kind: 'openai', apiKey: { secret: 'sk-route-check' } },
    }),
    foreign: null,
  },
  'PATCH /v1/llm/providers/:name': {
    auth: SECURITY,
    request: () => ({ url: '/v1/llm/providers/openai', body: { timeoutSeconds: 5 } }),
    foreign: 404,
  },
  'DELETE /v1/llm/providers/:name': {
    auth: SECURITY,
    request: () => ({ url: '/v1/llm/providers/openai' }),
    foreign: 404,
  },
  'POST /llm/openai/v1/responses': {
    auth: AGENT,
    request: () => ({
      url: '/llm/openai/v1/responses',
      body: { model: 'gpt-4o', input: 'route security check' },
    }),
    foreign: null,
  },
  'POST /llm/openai/v1/embeddings': {
    auth: AGENT,
    request: () => ({
      url: '/llm/openai/v1/embeddings',
      body: { model: 'text-embedding-3-small', input: 'route security check' },
    }),
    foreign: null,
  },
  'GET /llm/openai/v1/models': {
    auth: AGENT,
    request: () => ({ url: '/llm/openai/v1/models' }),
    foreign: null,
  },
  'POST /llm/anthropic/v1/messages/count_tokens': {
    auth: AGENT,
    request: () => ({
      url: '/llm/anthropic/v1/messages/count_tokens',
      body: { model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'check' }] },
    }),
    foreign: null,
  },
  'POST /v1/decide': {
    auth: AGENT,
    request: () => ({ url: '/v1/decide', body: { tool: 'kb.articles.read' } }),
    foreign: null,
  },
  'POST /v1/decisions/:id/outcome': {
    auth: AGENT,
    request: (v) => ({ url: `/v1/decisions/${v.decisionId}/outcome`, body: { status: 'succeeded' } }),
    foreign: 404,
  },
  'GET /v1/decisions/:id': {
    auth: READERS,
    request: (v) => ({ url: `/v1/decisions/${v.decisionId}` }),
    foreign: 404,
  },
  'GET /v1/tasks/:id/trace': {
    auth: READERS,
    request: (v) => ({ url: `/v1/tasks/${v.taskId}/trace` }),
    foreign: 404,
  },

  // Budgets and rate limits
  'GET /v1/budgets': { auth: human(), request: () => ({ url: '/v1/budgets' }), foreign: null },
  'POST /v1/budgets': {
    auth: SECURITY,
    request: (v) => ({
      url: '/v1/budgets',
      body: { name: 'stolen', scope: 'agent', agentId: v.agentId, period: 'day', unit: 'usd', limit: 1 },
    }),
    foreign: 400,
  },
  'GET /v1/budgets/:id': {
    auth: human(),
    request: (v) => ({ url: `/v1/budgets/${v.budgetId}` }),
    foreign: 404,
  },
  'PATCH /v1/budgets/:id': {
    auth: SECURITY,
    request: (v) => ({ url: `/v1/budgets/${v.budgetId}`, body: { limit: 1 } }),
    foreign: 404,
  },
  'DELETE /v1/budgets/:id': {
    auth: SECURITY,
    request: (v) => ({ url: `/v1/budgets/${v.budgetId}` }),
    foreign: 404,
  },
  'GET /v1/agents/:id/budgets': {
    auth: human(),
    request: (v) => ({ url: `/v1/agents/${v.agentId}/budgets` }),
    foreign: 404,
  },
  'GET /v1/agents/:id/capabilities': {
    auth: human(),
    request: (v) => ({ url: `/v1/agents/${v.agentId}/capabilities` }),
    foreign: 404,
  },
  'GET /v1/budgets/:id/usage': {
    auth: human(),
    request: (v) => ({ url: `/v1/budgets/${v.budgetId}/usage?days=7` }),
    foreign: 404,
  },
  'GET /v1/anomalies': { auth: human(), request: () => ({ url: '/v1/anomalies' }), foreign: null },
  'GET /v1/console/overview': {
    auth: human(),
    request: () => ({ url: '/v1/console/overview' }),
    foreign: null,
  },
  'GET /v1/agents/:id/baselines': {
    auth: human(),
    request: (v) => ({ url: `/v1/agents/${v.agentId}/baselines` }),
    foreign: 404,
  },
  'POST /v1/agents/:id/breaker/reset': {
    auth: human(),
    request: (v) => ({ url: `/v1/agents/${v.agentId}/breaker/reset`, body: {} }),
    foreign: 404,
  },
  'GET /v1/rate-limits': { auth: human(), request: () => ({ url: '/v1/rate-limits' }), foreign: null },
  'POST /v1/rate-limits': {
    auth: SECURITY,
    request: (v) => ({
      url: '/v1/rate-limits',
      body: { name: 'stolen', scope: 'agent', agentId: v.agentId, maxCalls: 1, windowSeconds: 60 },
    }),
    foreign: 400,
  },
  'PATCH /v1/rate-limits/:id': {
    auth: SECURITY,
    request: (v) => ({ url: `/v1/rate-limits/${v.rateLimitId}`, body: { maxCalls: 1 } }),
    foreign: 404,
  },
  'DELETE /v1/rate-limits/:id': {
    auth: SECURITY,
    request: (v) => ({ url: `/v1/rate-limits/${v.rateLimitId}` }),
    foreign: 404,
  },

  // Audit
  'GET /v1/audit/checkpoints/latest': {
    auth: human(),
    request: () => ({ url: '/v1/audit/checkpoints/latest' }),
    foreign: null,
  },
  'GET /v1/audit/proof/inclusion': {
    auth: human(),
    request: (v) => ({ url: `/v1/audit/proof/inclusion?event=${v.eventId}` }),
    foreign: 404,
  },
  'GET /v1/audit/proof/consistency': {
    auth: human(),
    request: () => ({ url: '/v1/audit/proof/consistency?from=1&to=2' }),
    foreign: null,
  },
  'GET /v1/audit/events': {
    auth: human(['auditor']),
    request: () => ({ url: '/v1/audit/events' }),
    foreign: null,
  },
  'GET /v1/audit/export': {
    auth: human(['auditor']),
    request: () => ({ url: '/v1/audit/export?format=jsonl' }),
    foreign: null,
  },
  'POST /v1/audit/shred': {
    auth: SECURITY,
    request: () => ({ url: '/v1/audit/shred', body: { subject: 'customer-99' } }),
    foreign: null,
  },
  'GET /v1/audit/retention': {
    auth: human(),
    request: () => ({ url: '/v1/audit/retention' }),
    foreign: null,
  },
  'PUT /v1/audit/retention': {
    auth: ADMIN,
    request: () => ({ url: '/v1/audit/retention', body: { days: 30 } }),
    foreign: null,
  },

  // Delegation grants: an agent makes and revokes its own; humans read and revoke an agent's
  'POST /v1/delegations': {
    auth: AGENT,
    request: (v) => ({ url: '/v1/delegations', body: { delegateId: v.agentId, tools: ['payments.*'] } }),
    foreign: 400,
  },
  'GET /v1/delegations': { auth: AGENT, request: () => ({ url: '/v1/delegations' }), foreign: null },
  'DELETE /v1/delegations/:id': {
    auth: AGENT,
    request: (v) => ({ url: `/v1/delegations/${v.delegationId}` }),
    foreign: 404,
  },
  'GET /v1/agents/:id/delegations': {
    auth: human(),
    request: (v) => ({ url: `/v1/agents/${v.agentId}/delegations` }),
    foreign: 404,
  },
  'DELETE /v1/agents/:id/delegations/:grantId': {
    auth: human(),
    request: (v) => ({ url: `/v1/agents/${v.agentId}/delegations/${v.delegationId}` }),
    foreign: 404,
  },
  'GET /v1/trust/criteria': {
    auth: human(['security', 'auditor']),
    request: () => ({ url: '/v1/trust/criteria' }),
    foreign: null,
  },
  'PUT /v1/trust/criteria': {
    auth: SECURITY,
    request: () => ({ url: '/v1/trust/criteria', body: DEFAULT_CRITERIA }),
    foreign: null,
  },
  'GET /v1/agents/:id/trust': {
    auth: human(),
    request: (v) => ({ url: `/v1/agents/${v.agentId}/trust` }),
    foreign: 404,
  },
  'POST /v1/incidents': {
    auth: SECURITY,
    request: (v) => ({
      url: '/v1/incidents',
      body: { agentId: v.agentId, severity: 'critical', summary: 'route security check' },
    }),
    foreign: 400,
  },
};

/** `/mcp` and `/mcp/:server` answer POST, GET and DELETE alike (the protocol's own verbs). */
function mcpRoutes(): Record<string, RouteSecurity> {
  const list = { jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} };
  const routes: Record<string, RouteSecurity> = {};
  for (const method of ['POST', 'GET', 'DELETE']) {
    const body = method === 'POST' ? list : undefined;
    routes[`${method} /mcp`] = { auth: AGENT, request: () => ({ url: '/mcp', body }), foreign: null };
    // A server of the victim's tenant is unknown to another tenant's agent: 404, as for none at all.
    routes[`${method} /mcp/:server`] = {
      auth: AGENT,
      request: () => ({ url: '/mcp/everything', body }),
      foreign: 404,
    };
  }
  return routes;
}
