#include "median.hpp"

#include <algorithm>
#include <set>
#include <utility>
#include <vector>

namespace mer {

namespace {

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define MER_MEDIAN_CLONES __attribute__((target_clones("avx2", "default")))
#define MER_MEDIAN_INLINE inline __attribute__((always_inline))
#else
#define MER_MEDIAN_CLONES
#define MER_MEDIAN_INLINE inline
#endif

using Comparator = std::pair<int, int>;
constexpr int kWindow = 25;
constexpr int kMedian = 12;
constexpr int kBlock = 64;  // pixels filtered together; the window then fills 6.4 KB of L1

/**
 * A selection network for the median of 25 values: Batcher's odd–even merge sort for 32 inputs,
 * minus the comparators that touch the 7 absent (+∞) inputs, minus those that cannot influence
 * output 12. 113 compare-exchanges, branch-free, so one network runs over a block of pixels with
 * vector min/max.
 */
std::vector<Comparator> medianOf25Network() {
  std::vector<Comparator> sorting;
  const int n = 32;
  for (int p = 1; p < n; p <<= 1) {
    for (int k = p; k >= 1; k >>= 1) {
      for (int j = k % p; j + k < n; j += 2 * k) {
        for (int i = 0; i < std::min(k, n - j - k); ++i) {
          const int a = i + j;
          const int b = i + j + k;
          if (a / (2 * p) == b / (2 * p) && b < kWindow) sorting.emplace_back(a, b);
        }
      }
    }
  }
  std::vector<Comparator> selection;
  std::set<int> needed{kMedian};
  for (auto it = sorting.rbegin(); it != sorting.rend(); ++it) {
    if (needed.count(it->first) || needed.count(it->second)) {
      selection.push_back(*it);
      needed.insert(it->first);
      needed.insert(it->second);
    }
  }
  std::reverse(selection.begin(), selection.end());
  return selection;
}

const std::vector<Comparator>& network() {
  static const std::vector<Comparator> comparators = medianOf25Network();
  return comparators;
}

MER_MEDIAN_INLINE void compareExchange(float* __restrict low, float* __restrict high) {
#pragma omp simd
  for (int k = 0; k < kBlock; ++k) {
    const float a = low[k];
    const float b = high[k];
    low[k] = std::min(a, b);
    high[k] = std::max(a, b);
  }
}

}  // namespace

MER_MEDIAN_CLONES void median5x5Rows(const Plane& src, const Plane& dst, int rowBegin, int rowEnd) {
  const std::vector<Comparator>& comparators = network();
  alignas(32) float window[kWindow][kBlock] = {};
  for (int y = rowBegin; y < rowEnd; ++y) {
    const float* rows[5];
    for (int k = 0; k < 5; ++k) rows[k] = src.row(std::min(std::max(y - 2 + k, 0), src.height - 1));
    float* out = dst.row(y);
    for (int x0 = 0; x0 < src.width; x0 += kBlock) {
      const int count = std::min(kBlock, src.width - x0);
      const bool interior = x0 >= 2 && x0 + count + 2 <= src.width;
      for (int dx = -2; dx <= 2; ++dx) {
        for (int r = 0; r < 5; ++r) {
          float* wire = window[5 * (dx + 2) + r];
          if (interior) {
            std::copy(rows[r] + x0 + dx, rows[r] + x0 + dx + count, wire);
            continue;
          }
          for (int k = 0; k < count; ++k) {
            wire[k] = rows[r][std::min(std::max(x0 + k + dx, 0), src.width - 1)];
          }
        }
      }
      for (const Comparator& c : comparators) compareExchange(window[c.first], window[c.second]);
      std::copy(window[kMedian], window[kMedian] + count, out + x0);
    }
  }
}

}  // namespace mer
