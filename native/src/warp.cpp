#include "warp.hpp"

#include "bicubic.hpp"

#if defined(__GNUC__) && defined(__x86_64__) && (defined(__linux__) || defined(__APPLE__))
#include <immintrin.h>
#define MER_WARP_AVX2 1
#endif

namespace mer {

namespace {

inline void storeWarped(const float warped[4], float u, float v, float i0, float& dx, float& dy,
                        float& rhoC) {
  dx = warped[1];
  dy = warped[2];
  rhoC = warped[0] - warped[1] * u - warped[2] * v - i0;
}

void warpRowPortable(const WarpPlanes& p, int y) {
  const float* u = p.u.row(y);
  const float* v = p.v.row(y);
  const float* i0 = p.frame0.row(y);
  float* dx = p.dx.row(y);
  float* dy = p.dy.row(y);
  float* rhoC = p.rhoC.row(y);
  for (int x = 0; x < p.u.width; ++x) {
    const float sampleX = static_cast<float>(x) + u[x];
    const float sampleY = static_cast<float>(y) + v[x];
    if (!tapInside(p.u, sampleX, sampleY)) {
      dx[x] = dy[x] = rhoC[x] = 0.0f;
      continue;
    }
    float warped[4];
    sampleInterleavedInside(p.frame1Taps, sampleX, sampleY, p.cubicA).store(warped);
    storeWarped(warped, u[x], v[x], i0[x], dx[x], dy[x], rhoC[x]);
  }
}

#ifdef MER_WARP_AVX2
/** warpRowPortable with each 256-bit load covering two neighbouring taps (8 floats). */
__attribute__((target("avx2"))) void warpRowAvx2(const WarpPlanes& p, int y) {
  const float* u = p.u.row(y);
  const float* v = p.v.row(y);
  const float* i0 = p.frame0.row(y);
  float* dx = p.dx.row(y);
  float* dy = p.dy.row(y);
  float* rhoC = p.rhoC.row(y);
  for (int x = 0; x < p.u.width; ++x) {
    const float sampleX = static_cast<float>(x) + u[x];
    const float sampleY = static_cast<float>(y) + v[x];
    if (!tapInside(p.u, sampleX, sampleY)) {
      dx[x] = dy[x] = rhoC[x] = 0.0f;
      continue;
    }
    const int ix = static_cast<int>(sampleX);  // >= 1 here: truncation is floor
    const int iy = static_cast<int>(sampleY);
    float wx[4];
    float wy[4];
    keysWeights(sampleX - static_cast<float>(ix), p.cubicA, wx);
    keysWeights(sampleY - static_cast<float>(iy), p.cubicA, wy);
    const __m256 w01 = _mm256_setr_ps(wx[0], wx[0], wx[0], wx[0], wx[1], wx[1], wx[1], wx[1]);
    const __m256 w23 = _mm256_setr_ps(wx[2], wx[2], wx[2], wx[2], wx[3], wx[3], wx[3], wx[3]);
    __m256 rows[4];
    for (int r = 0; r < 4; ++r) {
      const float* taps = p.frame1Taps.row(iy - 1 + r) + 4 * (ix - 1);
      const __m256 row = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(taps), w01),
                                       _mm256_mul_ps(_mm256_loadu_ps(taps + 8), w23));
      rows[r] = _mm256_mul_ps(row, _mm256_set1_ps(wy[r]));
    }
    // A pairwise sum keeps the dependency chain short.
    const __m256 sum =
        _mm256_add_ps(_mm256_add_ps(rows[0], rows[1]), _mm256_add_ps(rows[2], rows[3]));
    float warped[4];
    _mm_storeu_ps(warped,
                  _mm_add_ps(_mm256_castps256_ps128(sum), _mm256_extractf128_ps(sum, 1)));
    storeWarped(warped, u[x], v[x], i0[x], dx[x], dy[x], rhoC[x]);
  }
}

bool cpuHasAvx2() {
  static const bool hasAvx2 = __builtin_cpu_supports("avx2");
  return hasAvx2;
}
#endif

}  // namespace

void warpRows(const WarpPlanes& planes, int rowBegin, int rowEnd) {
#ifdef MER_WARP_AVX2
  if (cpuHasAvx2()) {
    for (int y = rowBegin; y < rowEnd; ++y) warpRowAvx2(planes, y);
    return;
  }
#endif
  for (int y = rowBegin; y < rowEnd; ++y) warpRowPortable(planes, y);
}

}  // namespace mer
