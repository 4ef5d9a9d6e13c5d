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
  /** OpenCV-style 5×5 median filter of the flow, every 30 iterations of each warp. */
  medianFilter: boolean;
  /** Keys cubic coefficient for warping frame1, in [-1, 0]: -0.5 in IPOL, -0.75 in OpenCV. */
  warpCubicA: number;
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
  warpCubicA: -0.5,
});

/**
 * Named parameter sets. `ipol` is the specification. `accurate` takes three choices of OpenCV's
 * DualTVL1 defaults, not values fitted here: no pre-smoothing, INTER_CUBIC warping (a = -0.75)
 * and a pyramid step of 0.8; it keeps the IPOL pyramid depth, so large motion is still reached.
 * The first two matter together: without pre-smoothing, Catmull-Rom warping loses most of the
 * gain. (OpenCV's median filter is left off: here it cost 40 % more time for 0.001 px.) Measured
 * by bench/flow on Grove2, Hydrangea, RubberWhale: mean AEE 0.161 px against 0.210 for `ipol` and
 * 0.164 for OpenCV, in about twice the time of `ipol`. On synthetic camera-like pairs (smooth
 * motion, no occlusions) the two presets are within 0.01 px of each other. `fast` targets face crops with micro-expression motion (≤ 2 px): 2 warps per level
 * instead of 5 and a looser stopping rule (ε 0.015); the pyramid is unchanged, so large motion is
 * still reached. On a 224×224 face crop it halves the work for 0.030 px EPE instead of 0.026.
 */
export const FLOW_PRESETS = Object.freeze({
  ipol: IPOL_DEFAULTS,
  accurate: Object.freeze({
    ...IPOL_DEFAULTS,
    sigma: 0,
    warpCubicA: -0.75,
    zoom: 0.8,
  }),
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
