// Four floats processed together: SSE where the target has it (every x86-64), plain C++ otherwise.
#pragma once

#if defined(__SSE2__) || defined(_M_X64)
#include <emmintrin.h>
#define MER_HAVE_SSE 1
#endif

namespace mer {

#ifdef MER_HAVE_SSE
struct Vec4 {
  __m128 lanes;
  static Vec4 load(const float* p) { return Vec4{_mm_loadu_ps(p)}; }
  static Vec4 splat(float value) { return Vec4{_mm_set1_ps(value)}; }
  static Vec4 zero() { return Vec4{_mm_setzero_ps()}; }
  friend Vec4 operator+(Vec4 a, Vec4 b) { return Vec4{_mm_add_ps(a.lanes, b.lanes)}; }
  friend Vec4 operator*(Vec4 a, Vec4 b) { return Vec4{_mm_mul_ps(a.lanes, b.lanes)}; }
  void store(float* p) const { _mm_storeu_ps(p, lanes); }
};
#else
struct Vec4 {
  float lanes[4];
  static Vec4 load(const float* p) { return Vec4{{p[0], p[1], p[2], p[3]}}; }
  static Vec4 splat(float value) { return Vec4{{value, value, value, value}}; }
  static Vec4 zero() { return splat(0.0f); }
  friend Vec4 operator+(Vec4 a, Vec4 b) {
    return Vec4{{a.lanes[0] + b.lanes[0], a.lanes[1] + b.lanes[1], a.lanes[2] + b.lanes[2],
                 a.lanes[3] + b.lanes[3]}};
  }
  friend Vec4 operator*(Vec4 a, Vec4 b) {
    return Vec4{{a.lanes[0] * b.lanes[0], a.lanes[1] * b.lanes[1], a.lanes[2] * b.lanes[2],
                 a.lanes[3] * b.lanes[3]}};
  }
  void store(float* p) const {
    for (int i = 0; i < 4; ++i) p[i] = lanes[i];
  }
};
#endif

}  // namespace mer
