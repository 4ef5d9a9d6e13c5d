#include "bicubic.hpp"

namespace mer {

AxisTaps axisTaps(int outputCount, int inputCount, float scale) {
  AxisTaps taps;
  taps.index.resize(static_cast<std::size_t>(outputCount) * 4);
  taps.weight.resize(static_cast<std::size_t>(outputCount) * 4);
  for (int i = 0; i < outputCount; ++i) {
    const float position = static_cast<float>(i) / scale;
    const float base = std::floor(position);
    keysWeights(position - base, kCatmullRom, &taps.weight[static_cast<std::size_t>(i) * 4]);
    for (int k = 0; k < 4; ++k) {
      const int index = static_cast<int>(base) - 1 + k;
      taps.index[static_cast<std::size_t>(i) * 4 + k] =
          std::min(std::max(index, 0), inputCount - 1);
    }
  }
  return taps;
}

void resampleRows(const Plane& src, const Plane& dst, float scaleX, float scaleY, float gain,
                  int rowBegin, int rowEnd) {
  if (rowBegin >= rowEnd) return;
  const AxisTaps columns = axisTaps(dst.width, src.width, scaleX);
  const AxisTaps rows = axisTaps(dst.height, src.height, scaleY);
  std::vector<float> blended(static_cast<std::size_t>(src.width));
  float* __restrict line = blended.data();
  for (int y = rowBegin; y < rowEnd; ++y) {
    const int* rowIndex = &rows.index[static_cast<std::size_t>(y) * 4];
    const float* rowWeight = &rows.weight[static_cast<std::size_t>(y) * 4];
    const float* __restrict r0 = src.row(rowIndex[0]);
    const float* __restrict r1 = src.row(rowIndex[1]);
    const float* __restrict r2 = src.row(rowIndex[2]);
    const float* __restrict r3 = src.row(rowIndex[3]);
    const float w0 = gain * rowWeight[0], w1 = gain * rowWeight[1];
    const float w2 = gain * rowWeight[2], w3 = gain * rowWeight[3];
    for (int x = 0; x < src.width; ++x) line[x] = w0 * r0[x] + w1 * r1[x] + w2 * r2[x] + w3 * r3[x];
    float* __restrict out = dst.row(y);
    const int* __restrict columnIndex = columns.index.data();
    const float* __restrict columnWeight = columns.weight.data();
    for (int x = 0; x < dst.width; ++x) {
      const int* c = columnIndex + 4 * x;
      const float* w = columnWeight + 4 * x;
      out[x] = w[0] * line[c[0]] + w[1] * line[c[1]] + w[2] * line[c[2]] + w[3] * line[c[3]];
    }
  }
}

}  // namespace mer
