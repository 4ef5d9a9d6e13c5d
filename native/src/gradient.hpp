// Image gradient by central differences; at the borders the missing neighbour is replaced by the
// border pixel itself (0.5·(I[1]-I[0]) on the first column), so a 1-pixel-wide axis has zero
// derivative. Matches the IPOL TV-L1 centered_gradient.
#pragma once

#include "image.hpp"

namespace mer {

/**
 * Rows [rowBegin, rowEnd) of `taps` (4·width floats per row) = (I, ∂I/∂x, ∂I/∂y, 0) per pixel.
 * Interleaving lets one bicubic pass warp the image and both derivatives with 4-wide loads.
 */
void gradientTapsRows(const Plane& image, const Plane& taps, int rowBegin, int rowEnd);

}  // namespace mer
