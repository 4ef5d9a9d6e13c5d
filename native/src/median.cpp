#include "median.hpp"

#include <algorithm>

namespace mer {

void median5x5Rows(const Plane& src, const Plane& dst, int rowBegin, int rowEnd) {
  float window[25];
  for (int y = rowBegin; y < rowEnd; ++y) {
    const float* rows[5];
    for (int k = 0; k < 5; ++k) rows[k] = src.row(std::min(std::max(y - 2 + k, 0), src.height - 1));
    float* out = dst.row(y);
    for (int x = 0; x < src.width; ++x) {
      int n = 0;
      for (int dxi = -2; dxi <= 2; ++dxi) {
        const int column = std::min(std::max(x + dxi, 0), src.width - 1);
        for (const float* row : rows) window[n++] = row[column];
      }
      std::nth_element(window, window + 12, window + 25);
      out[x] = window[12];
    }
  }
}

}  // namespace mer
