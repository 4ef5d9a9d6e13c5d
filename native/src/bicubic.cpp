#include "bicubic.hpp"

namespace mer {

void resampleRows(const Plane& src, const Plane& dst, float scaleX, float scaleY, float gain,
                  int rowBegin, int rowEnd) {
  BicubicTap tap;
  int rowIndex[4];
  for (int y = rowBegin; y < rowEnd; ++y) {
    float* out = dst.row(y);
    const float sy = static_cast<float>(y) / scaleY;
    for (int x = 0; x < dst.width; ++x) {
      prepareTap(src, static_cast<float>(x) / scaleX, sy, tap, rowIndex);
      out[x] = gain * sampleTap(src, tap, rowIndex);
    }
  }
}

}  // namespace mer
