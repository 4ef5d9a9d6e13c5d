// 5×5 median filter with replicated borders (OpenCV's medianBlur behaviour), applied to the flow
// after each warp when the optional median step is on.
#pragma once

#include "image.hpp"

namespace mer {

void median5x5Rows(const Plane& src, const Plane& dst, int rowBegin, int rowEnd);

}  // namespace mer
