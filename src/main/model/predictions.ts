import type { Prediction } from '../../shared/domain';
import type { AppContext } from '../app/context';

const byContext = new WeakMap<AppContext, Map<string, Prediction>>();

/** The latest prediction per clip of the open dataset, for the results view and reports. */
export function predictionsOf(ctx: AppContext): Map<string, Prediction> {
  let predictions = byContext.get(ctx);
  if (!predictions) {
    predictions = new Map();
    byContext.set(ctx, predictions);
  }
  return predictions;
}
