#include "gaussian.hpp"

#include <algorithm>
#include <cmath>

namespace mer {

std::vector<float> gaussianHalfKernel(float sigma) {
  const int radius = std::max(1, static_cast<int>(5.0f * sigma));
  std::vector<float> weights(static_cast<std::size_t>(radius) + 1);
  double sum = 0.0;
  for (int k = 0; k <= radius; ++k) {
    const double w = std::exp(-0.5 * k * k / (static_cast<double>(sigma) * sigma));
    weights[k] = static_cast<float>(w);
    sum += k == 0 ? w : 2.0 * w;
  }
  for (float& w : weights) w = static_cast<float>(w / sum);
  return weights;
}

int mirrorIndex(int index, int n) {
  if (n == 1) return 0;
  const int period = 2 * n;
  index %= period;
  if (index < 0) index += period;
  return index < n ? index : period - 1 - index;
}

void gaussianVerticalRows(const Plane& src, const Plane& tmp, const std::vector<float>& halfKernel,
                          int rowBegin, int rowEnd) {
  const int width = src.width;
  const int radius = static_cast<int>(halfKernel.size()) - 1;
  for (int y = rowBegin; y < rowEnd; ++y) {
    float* __restrict out = tmp.row(y);
    const float* __restrict centre = src.row(y);
    const float w0 = halfKernel[0];
    for (int x = 0; x < width; ++x) out[x] = w0 * centre[x];
    for (int k = 1; k <= radius; ++k) {
      const float* __restrict above = src.row(mirrorIndex(y - k, src.height));
      const float* __restrict below = src.row(mirrorIndex(y + k, src.height));
      const float wk = halfKernel[k];
      for (int x = 0; x < width; ++x) out[x] += wk * (above[x] + below[x]);
    }
  }
}

void gaussianHorizontalRows(const Plane& tmp, const Plane& dst,
                            const std::vector<float>& halfKernel, int rowBegin, int rowEnd) {
  const int width = tmp.width;
  const int radius = static_cast<int>(halfKernel.size()) - 1;
  const int interiorBegin = std::min(radius, width);
  const int interiorEnd = std::max(interiorBegin, width - radius);
  auto mirroredAt = [&](const float* in, int x) {
    float sum = halfKernel[0] * in[x];
    for (int k = 1; k <= radius; ++k) {
      sum += halfKernel[k] * (in[mirrorIndex(x - k, width)] + in[mirrorIndex(x + k, width)]);
    }
    return sum;
  };
  for (int y = rowBegin; y < rowEnd; ++y) {
    const float* __restrict in = tmp.row(y);
    float* __restrict out = dst.row(y);
    for (int x = 0; x < interiorBegin; ++x) out[x] = mirroredAt(in, x);
    for (int x = interiorEnd; x < width; ++x) out[x] = mirroredAt(in, x);
    const float w0 = halfKernel[0];
    for (int x = interiorBegin; x < interiorEnd; ++x) out[x] = w0 * in[x];
    for (int k = 1; k <= radius; ++k) {
      const float wk = halfKernel[k];
      for (int x = interiorBegin; x < interiorEnd; ++x) out[x] += wk * (in[x - k] + in[x + k]);
    }
  }
}

}  // namespace mer
