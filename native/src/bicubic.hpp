// Keys cubic convolution with clamped (Neumann) boundaries: a = -0.5 (Catmull-Rom, the IPOL
// choice) for pyramid resampling and flow upsampling; warping I1 and its gradients takes `a` as a
// parameter (OpenCV's INTER_CUBIC uses -0.75).
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

#include "image.hpp"
#include "simd4.hpp"

namespace mer {

constexpr float kCatmullRom = -0.5f;

/** Weights of the taps at distances 1+t, t, 1-t, 2-t from a sample at fraction t of a pixel. */
inline void keysWeights(float t, float a, float w[4]) {
  const float t2 = t * t;
  const float t3 = t2 * t;
  w[0] = a * (t3 - 2.0f * t2 + t);
  w[1] = (a + 2.0f) * t3 - (a + 3.0f) * t2 + 1.0f;
  w[2] = -(a + 2.0f) * t3 + (2.0f * a + 3.0f) * t2 - a * t;
  w[3] = a * (t2 - t3);
}

/** Whether the whole 4×4 neighbourhood of (x, y) lies inside the plane. */
inline bool tapInside(const Plane& plane, float x, float y) {
  return x >= 1.0f && y >= 1.0f && x < static_cast<float>(plane.width - 2) &&
         y < static_cast<float>(plane.height - 2);
}

/**
 * Bicubic sample of an interleaved 4-channel plane (4 floats per pixel, see gradientTapsRows) at
 * pixel position (x, y) with Keys coefficient a, all channels at once. (x, y) must satisfy tapInside for the image size.
 */
inline Vec4 sampleInterleavedInside(const Plane& taps, float x, float y, float a) {
  // x, y >= 1 here, so truncation is floor (and cheaper than floorf without SSE4.1).
  const int ix = static_cast<int>(x);
  const int iy = static_cast<int>(y);
  float wx[4];
  float wy[4];
  keysWeights(x - static_cast<float>(ix), a, wx);
  keysWeights(y - static_cast<float>(iy), a, wy);
  const int column = 4 * (ix - 1);
  const int top = iy - 1;
  const Vec4 wx0 = Vec4::splat(wx[0]), wx1 = Vec4::splat(wx[1]);
  const Vec4 wx2 = Vec4::splat(wx[2]), wx3 = Vec4::splat(wx[3]);
  Vec4 sum = Vec4::zero();
  for (int r = 0; r < 4; ++r) {
    const float* p = taps.row(top + r) + column;
    const Vec4 horizontal = Vec4::load(p) * wx0 + Vec4::load(p + 4) * wx1 +
                            Vec4::load(p + 8) * wx2 + Vec4::load(p + 12) * wx3;
    sum = sum + horizontal * Vec4::splat(wy[r]);
  }
  return sum;
}

/** Per output coordinate i along one axis: 4 clamped input indices and Keys weights at i/scale. */
struct AxisTaps {
  std::vector<int> index;
  std::vector<float> weight;
};

AxisTaps axisTaps(int outputCount, int inputCount, float scale);

/**
 * Rows [rowBegin, rowEnd) of dst = gain · src sampled by bicubic interpolation at
 * (x / scaleX, y / scaleY), borders replicated. Used both to shrink (scale = zoom < 1) and to
 * enlarge (scale = dst size / src size). Separable: for each output row the four source rows are
 * blended first (a vectorised pass over the source width), then each output pixel blends four
 * columns of that row. Allocates its tap tables per call (once per pyramid level, never per
 * iteration).
 */
void resampleRows(const Plane& src, const Plane& dst, float scaleX, float scaleY, float gain,
                  int rowBegin, int rowEnd);

}  // namespace mer
