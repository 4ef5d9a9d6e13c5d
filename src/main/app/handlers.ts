import type { ErrorInfo, Reply, Requests } from '../../shared/contract';
import { isRequestName, requests } from '../../shared/contract';
import type { Handler, HandlersFor } from './handler';
import { ForbiddenError, NotFoundError, type AppContext } from './context';
import { appHandlers } from './app-handlers';
import { datasetHandlers } from '../dataset/handlers';
import { annotationHandlers } from '../annotations/handlers';
import { flowHandlers } from '../flow/handlers';
import { modelHandlers } from '../model/handlers';
import { reportHandlers } from '../report/handlers';
import { batchHandlers } from '../batch/handlers';
import { codingHandlers } from '../annotations/coding-handlers';
import { AnnotationConflictError } from '../annotations/store';
import { motionHandlers } from '../motion/handlers';
import { faceHandlers } from '../face/handlers';

/** Every request has exactly one handler: the compiler checks the merge is complete. */
const handlers: HandlersFor<Requests> = {
  ...appHandlers,
  ...datasetHandlers,
  ...annotationHandlers,
  ...flowHandlers,
  ...modelHandlers,
  ...reportHandlers,
  ...batchHandlers,
  ...codingHandlers,
  ...motionHandlers,
  ...faceHandlers,
};

/**
 * The single entry point all hosts use. The caller is untrusted: the name is checked against
 * the contract and the argument parsed by its schema before any handler runs. Errors come back
 * as data with a message fit to show the user.
 */
export async function dispatch(
  ctx: AppContext,
  name: unknown,
  rawArgs: unknown,
): Promise<Reply<unknown>> {
  if (!isRequestName(name)) {
    const shown = typeof name === 'string' ? JSON.stringify(name.slice(0, 60)) : typeof name;
    return fail('bad-request', `unknown request ${shown}`);
  }
  const parsed = requests[name].args.safeParse(rawArgs ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues
      .map((issue) => `${issue.path.join('.') || 'argument'}: ${issue.message}`)
      .join('; ');
    return fail('bad-request', `${name}: ${issues}`);
  }
  try {
    const handler = handlers[name] as Handler<typeof name>;
    return { ok: true, result: await handler(parsed.data as never, ctx) };
  } catch (error) {
    return { ok: false, error: describeError(error) };
  }
}

export function describeError(error: unknown): ErrorInfo {
  if (error instanceof NotFoundError) return { code: 'not-found', message: error.message };
  if (error instanceof ForbiddenError) return { code: 'forbidden', message: error.message };
  if (error instanceof AnnotationConflictError) {
    return { code: 'conflict', message: error.message, conflict: error.conflict };
  }
  if (error instanceof Error && error.name === 'AbortError') {
    return { code: 'cancelled', message: 'cancelled' };
  }
  return { code: 'failed', message: error instanceof Error ? error.message : String(error) };
}

function fail(code: ErrorInfo['code'], message: string): Reply<never> {
  return { ok: false, error: { code, message } };
}
