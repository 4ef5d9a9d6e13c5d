import type { AppContext } from '../../src/main/app/context';
import { dispatch } from '../../src/main/app/handlers';
import type { ArgsOf, RequestName, ResultOf } from '../../src/shared/contract';

/** A request through the handler table, as a host sends it; a refusal throws its message. */
export async function call<N extends RequestName>(ctx: AppContext, name: N, args: ArgsOf<N>) {
  const reply = await dispatch(ctx, name, args);
  if (!reply.ok) throw new Error(reply.error.message);
  return reply.result as ResultOf<N>;
}
