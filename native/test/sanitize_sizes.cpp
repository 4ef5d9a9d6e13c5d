// Runs the solver, the strain and the median on many small and odd sizes, thread counts and parameters, for
// building with -fsanitize=address,undefined (see native/test/run-sanitizers.sh). Exits non-zero
// on a non-finite result.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <random>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "../src/median.hpp"
#include "../src/strain.hpp"
#include "../src/tvl1.hpp"

int main() {
  std::mt19937 random(42);
  std::uniform_real_distribution<float> pixel(0.0f, 255.0f);
  mer::ThreadPool pool;
  std::atomic<bool> cancel{false};
  int failures = 0;
  int runs = 0;
  for (int height = 1; height <= 40; height += (height < 12 ? 1 : 7)) {
    for (int width = 1; width <= 40; width += (width < 12 ? 1 : 9)) {
      std::vector<float> frame0(static_cast<std::size_t>(width) * height);
      std::vector<float> frame1(frame0.size());
      for (auto& value : frame0) value = pixel(random);
      for (auto& value : frame1) value = pixel(random);
      mer::Tvl1Params params;
      params.medianFilter = (width + height) % 2 == 0;
      params.zoom = (width % 3 == 0) ? 0.8f : 0.5f;
      params.scales = (height % 4 == 0) ? 10 : 0;
      params.maxIterations = 40;
      params.sigma = (width % 5 == 0) ? 0.0f : 0.8f;
      params.warpCubicA = (height % 2 == 0) ? -0.75f : -0.5f;
      const int threads = 1 + (width + 2 * height) % 3;
      const mer::FlowResult flow =
          mer::computeTvl1(frame0.data(), frame1.data(), width, height, params, threads, pool,
                           cancel);
      std::vector<float> u = flow.u;
      std::vector<float> v = flow.v;
      std::vector<float> strain(u.size());
      mer::opticalStrain(mer::Plane{u.data(), width, height}, mer::Plane{v.data(), width, height},
                         mer::Plane{strain.data(), width, height});
      for (std::size_t i = 0; i < u.size(); ++i) {
        if (!std::isfinite(u[i]) || !std::isfinite(v[i]) || !std::isfinite(strain[i])) {
          std::printf("non-finite result at %dx%d pixel %zu\n", width, height, i);
          ++failures;
          break;
        }
      }
      ++runs;
    }
  }
  // Odd sizes large enough for the finest levels to be split between 2 and 3 threads.
  for (const auto& [width, height, threads] : {std::tuple<int, int, int>{257, 131, 2},
                                               std::tuple<int, int, int>{333, 201, 3}}) {
    std::vector<float> frame0(static_cast<std::size_t>(width) * height);
    std::vector<float> frame1(frame0.size());
    for (auto& value : frame0) value = pixel(random);
    for (auto& value : frame1) value = pixel(random);
    mer::Tvl1Params params;
    params.medianFilter = threads == 3;
    params.maxIterations = 20;
    const mer::FlowResult flow =
        mer::computeTvl1(frame0.data(), frame1.data(), width, height, params, threads, pool,
                         cancel);
    for (std::size_t i = 0; i < flow.u.size(); ++i) {
      if (!std::isfinite(flow.u[i]) || !std::isfinite(flow.v[i])) {
        std::printf("non-finite result at %dx%d pixel %zu\n", width, height, i);
        ++failures;
        break;
      }
    }
    ++runs;
  }
  // Cancellation from another thread while a larger solve runs.
  {
    const int width = 300;
    const int height = 200;
    std::vector<float> frame0(static_cast<std::size_t>(width) * height);
    std::vector<float> frame1(frame0.size());
    for (auto& value : frame0) value = pixel(random);
    for (auto& value : frame1) value = pixel(random);
    mer::Tvl1Params params;
    params.epsilon = 1e-9f;
    std::atomic<bool> stop{false};
    std::thread canceller([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(30));
      stop = true;
    });
    bool cancelled = false;
    try {
      mer::computeTvl1(frame0.data(), frame1.data(), width, height, params, 2, pool, stop);
    } catch (const mer::FlowCancelled&) {
      cancelled = true;
    }
    canceller.join();
    if (!cancelled) {
      std::printf("cancellation was not honoured\n");
      ++failures;
    }
  }
  // The median network against nth_element on random planes (borders replicated).
  for (const auto& [width, height] : {std::pair<int, int>{1, 1}, std::pair<int, int>{3, 2},
                                      std::pair<int, int>{70, 9}, std::pair<int, int>{131, 5}}) {
    std::vector<float> values(static_cast<std::size_t>(width) * height);
    for (auto& value : values) value = pixel(random);
    std::vector<float> filtered(values.size());
    const mer::Plane src{values.data(), width, height};
    mer::median5x5Rows(src, mer::Plane{filtered.data(), width, height}, 0, height);
    for (int y = 0; y < height; ++y) {
      for (int x = 0; x < width; ++x) {
        std::vector<float> window;
        for (int dy = -2; dy <= 2; ++dy) {
          for (int dx = -2; dx <= 2; ++dx) {
            const int yy = std::min(std::max(y + dy, 0), height - 1);
            const int xx = std::min(std::max(x + dx, 0), width - 1);
            window.push_back(values[static_cast<std::size_t>(yy) * width + xx]);
          }
        }
        std::nth_element(window.begin(), window.begin() + 12, window.end());
        if (window[12] != filtered[static_cast<std::size_t>(y) * width + x]) {
          std::printf("median differs at %dx%d (%d, %d)\n", width, height, x, y);
          ++failures;
        }
      }
    }
  }
  std::printf("%d sizes checked, %d failures\n", runs, failures);
  return failures == 0 ? 0 : 1;
}
