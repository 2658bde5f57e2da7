import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { api } from '../api/client';
import type { Approval } from '../api/types';

/**
 * Keeps every approval on screen live: GET /v1/approvals/stream (Server-Sent Events, the session cookie
 * goes with it on the same origin) tells of each change to a request this human may see; the approval
 * queries are then read again. EventSource reconnects by itself when the stream drops.
 */
export function useApprovalStream(): void {
  const queryClient = useQueryClient();
  useEffect(() => {
    const source = new EventSource('/v1/approvals/stream', { withCredentials: true });
    const refresh = () => {
      void queryClient.invalidateQueries({ queryKey: ['approvals'] });
      void queryClient.invalidateQueries({ queryKey: ['overview'] });
    };
    source.addEventListener('approval', refresh);
    source.onmessage = refresh;
    return () => source.close();
  }, [queryClient]);
}

export const waitingQuery = {
  queryKey: ['approvals', 'waiting'],
  queryFn: () =>
    api.get<{ approvals: Approval[] }>('/v1/approvals', { mine: true, status: 'pending', limit: 200 }),
};

/** How many requests wait for this human's vote. */
export function useWaitingCount(): number {
  const { data } = useQuery({ ...waitingQuery, refetchInterval: 60_000 });
  return data?.approvals.length ?? 0;
}
