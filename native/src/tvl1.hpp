// TV-L1 optical flow (Zach, Pock, Bischof 2007) as specified by Sánchez, Meinhardt-Llopis and
// Facciolo, "TV-L1 Optical Flow Estimation", IPOL 2013:
//   joint normalisation of both frames to [0,255], Gaussian pre-smoothing (sigma), a pyramid of
//   `scales` levels (each smoothed with 0.6·sqrt(1/zoom²−1) and resampled by bicubic
//   interpolation), and at each level `warps` linearisations around the current flow. Each warp
//   iterates the thresholding step, the primal update u = v + θ·div p and the dual projection
//   p = (p + τ/θ·∇u)/(1 + τ/θ·|∇u|) until the mean squared change of u is below ε², or
//   `maxIterations`. Options from OpenCV's variant: a 5×5 median filter of the flow every 30
//   iterations of each warp, and the Keys coefficient of the warping interpolation.
#pragma once

#include <atomic>
#include <stdexcept>
#include <vector>

#include "thread_pool.hpp"

namespace mer {

struct Tvl1Params {
  float tau = 0.25f;
  float lambda = 0.15f;
  float theta = 0.3f;
  int warps = 5;
  float epsilon = 0.01f;
  int maxIterations = 300;
  float zoom = 0.5f;
  float sigma = 0.8f;
  int scales = 0;  // 0 = as many as the IPOL cap allows
  bool medianFilter = false;
  // Keys cubic coefficient for warping I1 and its gradient: -0.5 (Catmull-Rom) in IPOL, -0.75 in
  // OpenCV's INTER_CUBIC. Without pre-smoothing, -0.75 is markedly more exact (see FLOW_PRESETS).
  float warpCubicA = -0.5f;
};

struct FlowResult {
  std::vector<float> u;
  std::vector<float> v;
  int scales = 0;
  long long iterations = 0;                 // summed over all scales and warps
  std::vector<int> iterationsPerLevel;      // finest level first
};

/** Thrown when the cancel flag was raised; the caller maps it to an AbortError. */
struct FlowCancelled : std::runtime_error {
  FlowCancelled() : std::runtime_error("optical flow computation cancelled") {}
};

/** Pyramid levels: min(requested or ∞, 1 + log(hypot(w,h)/16)/log(1/zoom)), at least 1. */
int pyramidLevels(int width, int height, float zoom, int requested);

/** Checks ranges; throws std::invalid_argument with a readable message. */
void validateParams(const Tvl1Params& params);

/**
 * Flow from frame0 to frame1 (frame0(x) ≈ frame1(x + flow(x))). Both frames are width×height,
 * row-major. Runs on `threads` threads of `pool`; throws FlowCancelled when `cancel` becomes true.
 */
FlowResult computeTvl1(const float* frame0, const float* frame1, int width, int height,
                       const Tvl1Params& params, int threads, ThreadPool& pool,
                       const std::atomic<bool>& cancel);

}  // namespace mer
