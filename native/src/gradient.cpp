#include "gradient.hpp"

#include <algorithm>

namespace mer {

void gradientTapsRows(const Plane& image, const Plane& taps, int rowBegin, int rowEnd) {
  const int width = image.width;
  for (int y = rowBegin; y < rowEnd; ++y) {
    const float* __restrict row = image.row(y);
    const float* __restrict above = image.row(std::max(y - 1, 0));
    const float* __restrict below = image.row(std::min(y + 1, image.height - 1));
    float* __restrict out = taps.row(y);
    for (int x = 0; x < width; ++x) {
      const int left = std::max(x - 1, 0);
      const int right = std::min(x + 1, width - 1);
      out[4 * x] = row[x];
      out[4 * x + 1] = 0.5f * (row[right] - row[left]);
      out[4 * x + 2] = 0.5f * (below[x] - above[x]);
      out[4 * x + 3] = 0.0f;
    }
  }
}

}  // namespace mer
