import { Alert, Center, Loader } from '@mantine/core';
import type { UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { ApiError } from '../api/client';

/**
 * Renders a query's data, or what stands in for it: a loader, a plain "your roles do not allow this"
 * for a 403 (the API is the authority, the console just says so), or the API's error message.
 */
export function Loaded<T>({
  query,
  label,
  children,
}: {
  query: UseQueryResult<T>;
  label: string;
  children: (data: T) => ReactNode;
}) {
  if (query.isPending)
    return (
      <Center p="lg">
        <Loader size="sm" aria-label={`Loading ${label}`} />
      </Center>
    );
  if (query.isError) return <QueryError error={query.error} label={label} />;
  return <>{children(query.data)}</>;
}

export function QueryError({ error, label }: { error: unknown; label: string }) {
  if (error instanceof ApiError && error.status === 403)
    return (
      <Alert color="gray" title={`No access to ${label}`}>
        Your roles do not allow reading {label}. Ask an administrator if you need it.
      </Alert>
    );
  if (error instanceof ApiError && error.status === 404)
    return (
      <Alert color="gray" title={`No ${label}`}>
        {error.message}
      </Alert>
    );
  return (
    <Alert color="red" title={`Could not load ${label}`}>
      {error instanceof Error ? error.message : String(error)}
    </Alert>
  );
}
