// Warping of frame1 and its gradient by the current flow: the linearisation step of TV-L1.
#pragma once

#include "image.hpp"

namespace mer {

/** Inputs and outputs of one warp, as views sized to the current pyramid level. */
struct WarpPlanes {
  Plane frame0;      // I0
  Plane frame1Taps;  // (I1, ∂I1/∂x, ∂I1/∂y, 0) interleaved, see gradientTapsRows
  Plane u, v;        // current flow
  Plane dx, dy;      // out: ∇I1 at x + u
  Plane rhoC;        // out: I1(x + u) − ∇I1(x + u)·u − I0(x)
  float cubicA;      // Keys coefficient of the interpolation (see Tvl1Params::warpCubicA)
};

/**
 * Rows [rowBegin, rowEnd) of the warp, by bicubic (Keys) interpolation with coefficient cubicA. A pixel whose 4×4
 * neighbourhood leaves the image gets dx = dy = rhoC = 0, i.e. no data term (IPOL behaviour): the
 * regulariser fills it in from its neighbours. Uses AVX2 (two taps per 256-bit load; about 5 % less
 * CPU for a 224×224 flow, measured A/B) when the CPU has it; the two paths sum in a different
 * order, so results may differ in the last bits.
 */
void warpRows(const WarpPlanes& planes, int rowBegin, int rowEnd);

}  // namespace mer
