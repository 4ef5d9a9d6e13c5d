#include "strain.hpp"

#include <algorithm>
#include <cmath>

namespace mer {

void opticalStrain(const Plane& u, const Plane& v, const Plane& strain) {
  const int width = u.width;
  const int height = u.height;
  for (int y = 0; y < height; ++y) {
    const int above = std::max(y - 1, 0);
    const int below = std::min(y + 1, height - 1);
    // Central rows divide by 2; a border row spans one pixel; a single row has zero derivative.
    const float yScale = below - above == 2 ? 0.5f : (below - above == 1 ? 1.0f : 0.0f);
    float* __restrict out = strain.row(y);
    const float* __restrict uRow = u.row(y);
    const float* __restrict vRow = v.row(y);
    const float* __restrict uAbove = u.row(above);
    const float* __restrict uBelow = u.row(below);
    const float* __restrict vAbove = v.row(above);
    const float* __restrict vBelow = v.row(below);
    for (int x = 0; x < width; ++x) {
      const int left = std::max(x - 1, 0);
      const int right = std::min(x + 1, width - 1);
      const float xScale = right - left == 2 ? 0.5f : (right - left == 1 ? 1.0f : 0.0f);
      const float ux = xScale * (uRow[right] - uRow[left]);
      const float vx = xScale * (vRow[right] - vRow[left]);
      const float uy = yScale * (uBelow[x] - uAbove[x]);
      const float vy = yScale * (vBelow[x] - vAbove[x]);
      const float shear = uy + vx;
      out[x] = std::sqrt(ux * ux + vy * vy + 0.5f * shear * shear);
    }
  }
}

}  // namespace mer
