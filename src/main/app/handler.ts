import type { ParsedArgsOf, RequestName, ResultOf } from '../../shared/contract';
import type { AppContext } from './context';

export type Handler<N extends RequestName> = (
  args: ParsedArgsOf<N>,
  ctx: AppContext,
) => Promise<ResultOf<N>>;

/** The handlers of one service: one per request its contract file declares. */
export type HandlersFor<Requests> = { [K in keyof Requests & RequestName]: Handler<K> };
