/** A single-channel image, row-major, `width * height` values (any range: frames are normalised). */
export interface GreyImage {
  width: number;
  height: number;
  data: Float32Array | Uint8Array;
}

/** Displacement per pixel of frame0 towards frame1: frame0(x, y) ≈ frame1(x + u, y + v). */
export interface FlowField {
  width: number;
  height: number;
  u: Float32Array;
  v: Float32Array;
}

/** TV-L1 parameters (IPOL 2013 names and meaning). See ../../../../native/src/tvl1.hpp. */
export interface Tvl1Options {
  /** Time step of the dual update; (0, 0.25]. */
  tau: number;
  /** Weight of the data term; larger follows the images more, smaller gives smoother flow. */
  lambda: number;
  /** Coupling between the data and the TV step. */
  theta: number;
  /** Linearisations (warps of frame1) per pyramid level. */
  warps: number;
  /** Stop a warp's iterations when the mean squared change of the flow falls below epsilon². */
  epsilon: number;
  /** Iteration cap per warp. */
  maxIterations: number;
  /** Size ratio between pyramid levels, in (0, 1). */
  zoom: number;
  /** Gaussian pre-smoothing of both frames (0 = none). */
  sigma: number;
  /** Pyramid levels; 0 = as many as 1 + log(hypot(w, h)/16)/log(1/zoom) allows (also the cap). */
  scales: number;
  /** OpenCV-style 5×5 median filter of the flow after each warp. */
  medianFilter: boolean;
}

/** The IPOL 2013 defaults. */
export const IPOL_DEFAULTS: Readonly<Tvl1Options> = Object.freeze({
  tau: 0.25,
  lambda: 0.15,
  theta: 0.3,
  warps: 5,
  epsilon: 0.01,
  maxIterations: 300,
  zoom: 0.5,
  sigma: 0.8,
  scales: 0,
  medianFilter: false,
});

/**
 * Named parameter sets. `ipol` is the specification. `accurate` only lowers the pre-smoothing
 * (σ 0.6, chosen on the Middlebury pairs Grove2, Hydrangea, RubberWhale: mean AEE 0.193 px instead
 * of 0.210). `fast` targets face crops with micro-expression motion (≤ 2 px): 2 warps per level
 * instead of 5 and a looser stopping rule (ε 0.015); the pyramid is unchanged, so large motion is
 * still reached. On a 224×224 face crop it halves the work for 0.030 px EPE instead of 0.026.
 */
export const FLOW_PRESETS = Object.freeze({
  ipol: IPOL_DEFAULTS,
  accurate: Object.freeze({ ...IPOL_DEFAULTS, sigma: 0.6 }),
  fast: Object.freeze({ ...IPOL_DEFAULTS, warps: 2, epsilon: 0.015 }),
});

export type FlowPreset = keyof typeof FLOW_PRESETS;

export interface FlowRunOptions extends Partial<Tvl1Options> {
  /** Starting parameter set (default `ipol`); explicit options override it. */
  preset?: FlowPreset;
  /** Worker threads (default: the number of hardware threads). */
  threads?: number;
  /** Aborting rejects the promise with an AbortError; the native work stops within an iteration. */
  signal?: AbortSignal;
}

/** A computed flow plus how much work it took. */
export interface FlowComputation extends FlowField {
  /** Iterations summed over all levels and warps. */
  iterations: number;
  /** Iterations per pyramid level, finest first. */
  iterationsPerLevel: number[];
  scales: number;
}

/** An 8-bit RGBA image, row-major, 4 bytes per pixel (ready for ImageData or sharp). */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}
