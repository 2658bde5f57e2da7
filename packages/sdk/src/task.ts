import { AsyncLocalStorage } from 'node:async_hooks';
import type { DecideRequest } from './generated/api.js';

/** The context every decide call carries: which task, started by whom, for whom, from where. */
export type DecideContext = NonNullable<DecideRequest['context']>;

/** What `warden.task()` takes: the task and the humans behind it, plus any other context field. */
export interface TaskContext extends DecideContext {
  readonly taskId: string;
}

const storage = new AsyncLocalStorage<DecideContext>();

/** The context of the task the current async call chain runs in, if any. */
export function currentTask(): DecideContext | undefined {
  return storage.getStore();
}

/**
 * Runs `fn` with `context` as the task of every decide call it makes, through every await. A task
 * started inside another becomes its child: `parentTaskId` defaults to the outer task, and fields
 * it does not set are inherited.
 */
export function runInTask<T>(context: DecideContext, fn: () => T): T {
  const outer = storage.getStore();
  const merged: DecideContext = {
    ...outer,
    ...(outer?.taskId && context.taskId && outer.taskId !== context.taskId
      ? { parentTaskId: outer.taskId }
      : {}),
    ...context,
  };
  return storage.run(merged, fn);
}
