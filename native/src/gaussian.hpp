// Separable Gaussian smoothing with symmetric (mirror) boundaries, as in the IPOL TV-L1 code.
#pragma once

#include <vector>

#include "image.hpp"

namespace mer {

/** Half kernel: weights[0] is the centre, weights[k] applies at ±k; radius = max(1, int(5σ)). */
std::vector<float> gaussianHalfKernel(float sigma);

/** Index into [0, n) after mirroring about the borders (…, 1, 0 | 0, 1, …, n-1 | n-1, n-2, …). */
int mirrorIndex(int index, int n);

/** Vertical pass for output rows [rowBegin, rowEnd): tmp = K * src along y. */
void gaussianVerticalRows(const Plane& src, const Plane& tmp, const std::vector<float>& halfKernel,
                          int rowBegin, int rowEnd);

/** Horizontal pass for rows [rowBegin, rowEnd): dst = K * tmp along x. dst may alias src. */
void gaussianHorizontalRows(const Plane& tmp, const Plane& dst,
                            const std::vector<float>& halfKernel, int rowBegin, int rowEnd);

}  // namespace mer
