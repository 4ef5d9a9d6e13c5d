import type { Clip, DatasetIndex } from '../../shared/domain';

const datasetIds = new WeakMap<DatasetIndex, number>();
let nextDatasetId = 1;

/** Cache key of one variant of one frame; a reopened dataset gets fresh keys. */
export function frameKey(
  dataset: DatasetIndex,
  clip: Clip,
  index: number,
  variant: string,
): string {
  let id = datasetIds.get(dataset);
  if (id === undefined) {
    id = nextDatasetId++;
    datasetIds.set(dataset, id);
  }
  return `${id}\0${clip.id}\0${index}\0${variant}`;
}
