export * from './types';
export { computeFlow, defaultFlowThreads, resolveTvl1Options, abortError } from './tvl1';
export { computeStrain } from './strain';
export { readFlo, writeFlo, encodeFlo, decodeFlo, FLO_TAG } from './flo';
export {
  endpointError,
  endpointErrorStats,
  flowMagnitude,
  flowMagnitudeStats,
  isKnownFlow,
  UNKNOWN_FLOW_THRESHOLD,
} from './metrics';
export { flowToColor, heatmap, magnitudeHeatmap, strainHeatmap, viridis } from './visualize';
export { readGreyImage, writeRgbaPng } from './image-io';
export { MAX_IMAGE_PIXELS, MAX_IMAGE_SIDE } from './validate';
