import { createRootRoute, createRoute, createRouter, lazyRouteComponent } from '@tanstack/react-router';
import { parseAgentsSearch } from '../pages/agents/agents-search';
import { parseAuditSearch } from '../pages/audit/audit-search';
import { Root } from './Root';

/** One route per page; each page is its own chunk, loaded when first visited. */
const rootRoute = createRootRoute({ component: Root });

const routes = [
  createRoute({
    getParentRoute: () => rootRoute,
    path: '/sign-in',
    // The gate in Root shows the sign-in page without a session and leaves it with one.
    component: () => null,
  }),
  createRoute({
    getParentRoute: () => rootRoute,
    path: '/',
    component: lazyRouteComponent(() => import('../pages/overview/OverviewPage'), 'OverviewPage'),
  }),
  createRoute({
    getParentRoute: () => rootRoute,
    path: '/agents',
    validateSearch: parseAgentsSearch,
    component: lazyRouteComponent(() => import('../pages/agents/AgentsPage'), 'AgentsPage'),
  }),
  createRoute({
    getParentRoute: () => rootRoute,
    path: '/agents/$agentId',
    component: lazyRouteComponent(() => import('../pages/agent/AgentPage'), 'AgentPage'),
  }),
  createRoute({
    getParentRoute: () => rootRoute,
    path: '/approvals',
    component: lazyRouteComponent(() => import('../pages/approvals/ApprovalsPage'), 'ApprovalsPage'),
  }),
  createRoute({
    getParentRoute: () => rootRoute,
    path: '/approvals/$approvalId',
    component: lazyRouteComponent(() => import('../pages/approval/ApprovalPage'), 'ApprovalPage'),
  }),
  createRoute({
    getParentRoute: () => rootRoute,
    path: '/audit',
    validateSearch: parseAuditSearch,
    component: lazyRouteComponent(() => import('../pages/audit/AuditPage'), 'AuditPage'),
  }),
  createRoute({
    getParentRoute: () => rootRoute,
    path: '/tasks/$taskId',
    component: lazyRouteComponent(() => import('../pages/trace/TracePage'), 'TracePage'),
  }),
  createRoute({
    getParentRoute: () => rootRoute,
    path: '/budgets',
    component: lazyRouteComponent(() => import('../pages/budgets/BudgetsPage'), 'BudgetsPage'),
  }),
  createRoute({
    getParentRoute: () => rootRoute,
    path: '/policies',
    component: lazyRouteComponent(() => import('../pages/policies/PoliciesPage'), 'PoliciesPage'),
  }),
  createRoute({
    getParentRoute: () => rootRoute,
    path: '/incidents',
    component: lazyRouteComponent(() => import('../pages/incidents/IncidentsPage'), 'IncidentsPage'),
  }),
];

export const router = createRouter({ routeTree: rootRoute.addChildren(routes), defaultPreload: 'intent' });

declare module '@tanstack/react-router' {
  interface Register {
    router: typeof router;
  }
}
