// Keys cubic convolution (a = -0.5, i.e. Catmull-Rom) with clamped (Neumann) boundaries, used for
// pyramid resampling, flow upsampling and warping I1 and its gradients.
#pragma once

#include <algorithm>
#include <cmath>

#include "image.hpp"
#include "simd4.hpp"

namespace mer {

/** The 4×4 neighbourhood and weights of a sample position; shared by several images. */
struct BicubicTap {
  int columns[4];
  float wx[4];
  float wy[4];
};

inline void keysWeights(float t, float w[4]) {
  const float t2 = t * t;
  const float t3 = t2 * t;
  w[0] = -0.5f * t3 + t2 - 0.5f * t;
  w[1] = 1.5f * t3 - 2.5f * t2 + 1.0f;
  w[2] = -1.5f * t3 + 2.0f * t2 + 0.5f * t;
  w[3] = 0.5f * t3 - 0.5f * t2;
}

/** Whether the whole 4×4 neighbourhood of (x, y) lies inside the plane. */
inline bool tapInside(const Plane& plane, float x, float y) {
  return x >= 1.0f && y >= 1.0f && x < static_cast<float>(plane.width - 2) &&
         y < static_cast<float>(plane.height - 2);
}

/** Prepares sampling of `plane` at (x, y); positions outside take the nearest border value. */
inline void prepareTap(const Plane& plane, float x, float y, BicubicTap& tap, int (&rowIndex)[4]) {
  // Clamp far-away positions first so the integer conversion cannot overflow.
  x = std::min(std::max(x, -2.0f), static_cast<float>(plane.width) + 1.0f);
  y = std::min(std::max(y, -2.0f), static_cast<float>(plane.height) + 1.0f);
  const float fx = std::floor(x);
  const float fy = std::floor(y);
  const int ix = static_cast<int>(fx);
  const int iy = static_cast<int>(fy);
  keysWeights(x - fx, tap.wx);
  keysWeights(y - fy, tap.wy);
  for (int k = 0; k < 4; ++k) {
    tap.columns[k] = std::min(std::max(ix - 1 + k, 0), plane.width - 1);
    rowIndex[k] = std::min(std::max(iy - 1 + k, 0), plane.height - 1);
  }
}

/** Value of `plane` at a prepared tap (any plane of the size the tap was prepared for). */
inline float sampleTap(const Plane& plane, const BicubicTap& tap, const int (&rowIndex)[4]) {
  float sum = 0.0f;
  for (int r = 0; r < 4; ++r) {
    const float* row = plane.row(rowIndex[r]);
    const float horizontal = tap.wx[0] * row[tap.columns[0]] + tap.wx[1] * row[tap.columns[1]] +
                             tap.wx[2] * row[tap.columns[2]] + tap.wx[3] * row[tap.columns[3]];
    sum += tap.wy[r] * horizontal;
  }
  return sum;
}

/**
 * Bicubic sample of an interleaved 4-channel plane (4 floats per pixel, see gradientTapsRows) at
 * pixel position (x, y), all channels at once. (x, y) must satisfy tapInside for the image size.
 */
inline Vec4 sampleInterleavedInside(const Plane& taps, float x, float y) {
  const float fx = std::floor(x);
  const float fy = std::floor(y);
  float wx[4];
  float wy[4];
  keysWeights(x - fx, wx);
  keysWeights(y - fy, wy);
  const int column = 4 * (static_cast<int>(fx) - 1);
  const int top = static_cast<int>(fy) - 1;
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

/**
 * Rows [rowBegin, rowEnd) of dst = src sampled at (x / scaleX, y / scaleY), times `gain`.
 * Used both to shrink (scale = zoom < 1) and to enlarge (scale = dst size / src size).
 */
void resampleRows(const Plane& src, const Plane& dst, float scaleX, float scaleY, float gain,
                  int rowBegin, int rowEnd);

}  // namespace mer
