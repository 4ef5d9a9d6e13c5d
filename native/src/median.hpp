// 5×5 median filter with replicated borders (OpenCV's medianBlur behaviour), applied to the flow
// every 30 iterations of each warp when the optional median step is on (see tvl1.hpp).
#pragma once

#include "image.hpp"

namespace mer {

void median5x5Rows(const Plane& src, const Plane& dst, int rowBegin, int rowEnd);

}  // namespace mer
