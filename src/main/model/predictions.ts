import type { DatasetIndex, Prediction } from '../../shared/domain';
import type { AppContext } from '../app/context';

const byContext = new WeakMap<AppContext, Map<string, Map<string, Prediction>>>();

/**
 * The latest prediction per clip of one dataset, for the results view and reports. Kept per
 * dataset root: clip ids repeat across datasets, and a batch may finish after another opened.
 */
export function predictionsOf(ctx: AppContext, dataset: DatasetIndex): Map<string, Prediction> {
  let byDataset = byContext.get(ctx);
  if (!byDataset) {
    byDataset = new Map();
    byContext.set(ctx, byDataset);
  }
  let predictions = byDataset.get(dataset.root);
  if (!predictions) {
    predictions = new Map();
    byDataset.set(dataset.root, predictions);
  }
  return predictions;
}
