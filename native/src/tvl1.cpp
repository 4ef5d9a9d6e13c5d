#include "tvl1.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <string>

#include "bicubic.hpp"
#include "gaussian.hpp"
#include "gradient.hpp"
#include "image.hpp"
#include "median.hpp"
#include "warp.hpp"

namespace mer {

namespace {

// The two kernels that dominate the run time get an AVX2 clone next to the portable SSE2
// build; the loader picks one at run time (GCC function multiversioning, ELF ifunc).
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define MER_VECTOR_CLONES __attribute__((target_clones("avx2", "default"), noinline))
#define MER_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define MER_VECTOR_CLONES
#define MER_ALWAYS_INLINE inline
#endif

constexpr float kGradientIsZero = 1e-10f;
constexpr float kZoomSigmaZero = 0.6f;
// Below this many pixels per thread a level is solved by one thread
// (see solveLevelWithFittingTeam).
constexpr long long kMinPixelsPerMember = 8192;
// With the median filter on, each warp's iterations run in rounds of this many, each starting
// with the filter (OpenCV: 10 outer × 30 inner iterations).
constexpr int kMedianEvery = 30;

struct Level {
  Level(int w, int h)
      : width(w), height(h), frame0(w, h), frame1(w, h), frame1Taps(4 * w, h), u(w, h), v(w, h) {}
  int width;
  int height;
  Image frame0, frame1;
  Image frame1Taps;  // (I1, ∂I1/∂x, ∂I1/∂y, 0) interleaved, warped together
  Image u, v;
};

/** Everything one warp's iterations touch, as views sized to the current level. */
struct WarpFields {
  Plane u, v;                // flow, updated in place
  Plane dx, dy, rhoC;        // warped gradients of frame1 and the constant part of the residual
  Plane p11, p12, p21, p22;  // dual variables: (p11, p12) for u, (p21, p22) for v
  const float* zeros;        // a row of zeros: the dual field above the first row
};

/** Thresholding step and primal update for one pixel; returns the squared change of (u, v). */
MER_ALWAYS_INLINE float primalPixel(float& u1, float& u2, float dx, float dy, float rhoC,
                                    float div1, float div2, float lambdaTheta, float theta) {
  const float gradientSq = dx * dx + dy * dy;
  const float rho = rhoC + dx * u1 + dy * u2;
  // The three cases of the thresholding step are one clamp: -rho/|∇I|² limited to ±λθ.
  const float step =
      std::min(std::max(-rho / std::max(gradientSq, kGradientIsZero), -lambdaTheta), lambdaTheta);
  const float next1 = u1 + step * dx + theta * div1;
  const float next2 = u2 + step * dy + theta * div2;
  const float change1 = next1 - u1;
  const float change2 = next2 - u2;
  u1 = next1;
  u2 = next2;
  return change1 * change1 + change2 * change2;
}

/**
 * Dual projection of both flow components at one pixel: p = (p + τ/θ·∇u) / (1 + τ/θ·|∇u|).
 * The two divisions share one reciprocal, 1/(n1·n2): the divider is the bottleneck of this loop.
 */
MER_ALWAYS_INLINE void dualPixel(float& p11, float& p12, float& p21, float& p22, float g1x,
                                 float g1y, float g2x, float g2y, float tauOverTheta) {
  const float n1 = 1.0f + tauOverTheta * std::sqrt(g1x * g1x + g1y * g1y);
  const float n2 = 1.0f + tauOverTheta * std::sqrt(g2x * g2x + g2y * g2y);
  const float inverse = 1.0f / (n1 * n2);
  const float scale1 = n2 * inverse;
  const float scale2 = n1 * inverse;
  p11 = (p11 + tauOverTheta * g1x) * scale1;
  p12 = (p12 + tauOverTheta * g1y) * scale1;
  p21 = (p21 + tauOverTheta * g2x) * scale2;
  p22 = (p22 + tauOverTheta * g2y) * scale2;
}

/** Primal update of row y; reads the dual field of rows y and y-1 (divergence, backward). */
MER_VECTOR_CLONES float primalRow(const WarpFields& f, int y, float lambdaTheta, float theta) {
  const int width = f.u.width;
  float* __restrict u1 = f.u.row(y);
  float* __restrict u2 = f.v.row(y);
  const float* __restrict dx = f.dx.row(y);
  const float* __restrict dy = f.dy.row(y);
  const float* __restrict rhoC = f.rhoC.row(y);
  const float* __restrict p11 = f.p11.row(y);
  const float* __restrict p21 = f.p21.row(y);
  const float* __restrict p12 = f.p12.row(y);
  const float* __restrict p22 = f.p22.row(y);
  const float* __restrict p12up = y > 0 ? f.p12.row(y - 1) : f.zeros;
  const float* __restrict p22up = y > 0 ? f.p22.row(y - 1) : f.zeros;

  // Column 0: the dual field left of the image is zero.
  float change = primalPixel(u1[0], u2[0], dx[0], dy[0], rhoC[0], p11[0] + p12[0] - p12up[0],
                             p21[0] + p22[0] - p22up[0], lambdaTheta, theta);
#pragma omp simd reduction(+ : change)
  for (int x = 1; x < width; ++x) {
    const float div1 = p11[x] - p11[x - 1] + p12[x] - p12up[x];
    const float div2 = p21[x] - p21[x - 1] + p22[x] - p22up[x];
    change += primalPixel(u1[x], u2[x], dx[x], dy[x], rhoC[x], div1, div2, lambdaTheta, theta);
  }
  return change;
}

/** Dual projection of row y; needs the updated flow of rows y and y+1 (forward differences). */
MER_VECTOR_CLONES void dualRow(const WarpFields& f, int y, float tauOverTheta) {
  const int width = f.u.width;
  const int below = y + 1 < f.u.height ? y + 1 : y;  // last row: vertical difference 0
  const float* __restrict u1 = f.u.row(y);
  const float* __restrict u2 = f.v.row(y);
  const float* __restrict u1down = f.u.row(below);
  const float* __restrict u2down = f.v.row(below);
  float* __restrict p11 = f.p11.row(y);
  float* __restrict p12 = f.p12.row(y);
  float* __restrict p21 = f.p21.row(y);
  float* __restrict p22 = f.p22.row(y);
#pragma omp simd
  for (int x = 0; x < width - 1; ++x) {
    dualPixel(p11[x], p12[x], p21[x], p22[x], u1[x + 1] - u1[x], u1down[x] - u1[x],
              u2[x + 1] - u2[x], u2down[x] - u2[x], tauOverTheta);
  }
  const int last = width - 1;  // last column: horizontal difference 0
  dualPixel(p11[last], p12[last], p21[last], p22[last], 0.0f, u1down[last] - u1[last], 0.0f,
            u2down[last] - u2[last], tauOverTheta);
}

struct Iterations {
  int count;  // -1: cancelled
  bool converged;
};

void zeroRows(const Plane& plane, RowRange rows) {
  const std::size_t count = static_cast<std::size_t>(rows.end - rows.begin) * plane.width;
  std::fill(plane.row(rows.begin), plane.row(rows.begin) + count, 0.0f);
}

class Tvl1Solver {
 public:
  Tvl1Solver(const float* frame0, const float* frame1, int width, int height,
             const Tvl1Params& params, int threads, const std::atomic<bool>& cancel)
      : input0_(frame0),
        input1_(frame1),
        params_(params),
        cancel_(cancel),
        smoothingKernel_(gaussianHalfKernel(params.sigma > 0 ? params.sigma : 1.0f)),
        zoomKernel_(gaussianHalfKernel(
            kZoomSigmaZero * std::sqrt(1.0f / (params.zoom * params.zoom) - 1.0f))),
        dx_(width, height),
        dy_(width, height),
        rhoC_(width, height),
        p11_(width, height),
        p12_(width, height),
        p21_(width, height),
        p22_(width, height),
        scratchA_(width, height),
        scratchB_(width, height),
        zeros_(static_cast<std::size_t>(width), 0.0f),
        minSlots_(threads),
        maxSlots_(threads),
        errorSlots_{std::vector<double>(threads), std::vector<double>(threads)} {
    const int count = pyramidLevels(width, height, params.zoom, params.scales);
    levels_.reserve(count);
    levelIterations_.assign(count, 0);
    for (int members = 0; members <= threads; ++members) {
      subTeamBarriers_.push_back(std::make_unique<SpinBarrier>(std::max(members, 1)));
    }
    levels_.emplace_back(width, height);
    for (int s = 1; s < count; ++s) {
      const Level& finer = levels_.back();
      levels_.emplace_back(std::max(1, static_cast<int>(finer.width * params.zoom + 0.5f)),
                           std::max(1, static_cast<int>(finer.height * params.zoom + 0.5f)));
    }
  }

  /** The SPMD body: every team member runs this. */
  void run(Team& team) {
    normalise(team);
    if (params_.sigma > 0) {
      Plane f0 = levels_[0].frame0.plane();
      Plane f1 = levels_[0].frame1.plane();
      smooth(team, f0, f0, smoothingKernel_);
      smooth(team, f1, f1, smoothingKernel_);
    }
    for (std::size_t s = 1; s < levels_.size(); ++s) {
      shrink(team, levels_[s - 1].frame0.plane(), levels_[s].frame0.plane());
      shrink(team, levels_[s - 1].frame1.plane(), levels_[s].frame1.plane());
    }
    for (int s = static_cast<int>(levels_.size()) - 1; s >= 0; --s) {
      if (!solveLevelWithFittingTeam(team, levels_[s], static_cast<std::size_t>(s))) return;
      if (s > 0) upsampleFlow(team, levels_[s], levels_[s - 1]);
    }
  }

  bool cancelled() const { return cancelled_; }

  FlowResult takeResult() {
    FlowResult result;
    result.u = levels_[0].u.release();
    result.v = levels_[0].v.release();
    result.scales = static_cast<int>(levels_.size());
    result.iterationsPerLevel = levelIterations_;
    for (int n : levelIterations_) result.iterations += n;
    return result;
  }

 private:
  void normalise(Team& team) {
    Level& finest = levels_[0];
    const RowRange rows = team.rows(finest.height);
    const std::size_t begin = static_cast<std::size_t>(rows.begin) * finest.width;
    const std::size_t end = static_cast<std::size_t>(rows.end) * finest.width;
    float low = std::numeric_limits<float>::max();
    float high = std::numeric_limits<float>::lowest();
    for (std::size_t i = begin; i < end; ++i) {
      low = std::min(low, std::min(input0_[i], input1_[i]));
      high = std::max(high, std::max(input0_[i], input1_[i]));
    }
    minSlots_[team.index()] = low;
    maxSlots_[team.index()] = high;
    team.barrier();
    low = *std::min_element(minSlots_.begin(), minSlots_.end());
    high = *std::max_element(maxSlots_.begin(), maxSlots_.end());
    const float range = high - low;
    const float gain = range > 0 ? 255.0f / range : 1.0f;
    const float offset = range > 0 ? low : 0.0f;
    float* out0 = finest.frame0.data();
    float* out1 = finest.frame1.data();
    for (std::size_t i = begin; i < end; ++i) {
      out0[i] = (input0_[i] - offset) * gain;
      out1[i] = (input1_[i] - offset) * gain;
    }
    team.barrier();
  }

  /** dst = Gaussian(src); dst may be src. Uses scratchA_ as the intermediate. */
  void smooth(Team& team, const Plane& src, const Plane& dst, const std::vector<float>& kernel) {
    const RowRange rows = team.rows(src.height);
    const Plane tmp = scratchA_.view(src.width, src.height);
    gaussianVerticalRows(src, tmp, kernel, rows.begin, rows.end);
    team.barrier();
    gaussianHorizontalRows(tmp, dst, kernel, rows.begin, rows.end);
    team.barrier();
  }

  /** Next pyramid level: smooth (into scratchB_) then resample by the zoom factor. */
  void shrink(Team& team, const Plane& finer, const Plane& coarser) {
    const Plane smoothed = scratchB_.view(finer.width, finer.height);
    smooth(team, finer, smoothed, zoomKernel_);
    const RowRange rows = team.rows(coarser.height);
    resampleRows(smoothed, coarser, params_.zoom, params_.zoom, 1.0f, rows.begin, rows.end);
    team.barrier();
  }

  void upsampleFlow(Team& team, Level& coarse, Level& fine) {
    const RowRange rows = team.rows(fine.height);
    const float scaleX = static_cast<float>(fine.width) / coarse.width;
    const float scaleY = static_cast<float>(fine.height) / coarse.height;
    const float gain = 1.0f / params_.zoom;
    resampleRows(coarse.u.plane(), fine.u.plane(), scaleX, scaleY, gain, rows.begin, rows.end);
    resampleRows(coarse.v.plane(), fine.v.plane(), scaleX, scaleY, gain, rows.begin, rows.end);
    team.barrier();
  }

  WarpFields fieldsFor(Level& level) {
    const int w = level.width;
    const int h = level.height;
    return WarpFields{level.u.plane(), level.v.plane(), dx_.view(w, h),  dy_.view(w, h),
                      rhoC_.view(w, h), p11_.view(w, h),   p12_.view(w, h), p21_.view(w, h),
                      p22_.view(w, h), zeros_.data()};
  }

  /**
   * Smaller levels are solved by fewer members (at least kMinPixelsPerMember pixels each): their
   * iterations take microseconds, so two barriers per iteration would cost more than they save
   * (and far more on a busy machine). Returns false (for every member) when cancelled.
   */
  bool solveLevelWithFittingTeam(Team& team, Level& level, std::size_t levelIndex) {
    const long long pixels = static_cast<long long>(level.width) * level.height;
    const long long fitting = std::min<long long>(team.size(), pixels / kMinPixelsPerMember);
    const int members = static_cast<int>(std::max(1LL, fitting));
    if (members == team.size()) {
      const bool solved = solveLevel(team, level, levelIndex);
      if (!solved && team.index() == 0) cancelled_ = true;
      return solved;
    }
    if (team.index() < members) {
      Team subTeam(*subTeamBarriers_[members], team.index(), members);
      const bool solved = solveLevel(subTeam, level, levelIndex);
      if (!solved && team.index() == 0) cancelled_ = true;
    }
    team.barrier();
    return !cancelled_;
  }

  /** All warps of one level; false when cancelled. */
  bool solveLevel(Team& team, Level& level, std::size_t levelIndex) {
    const WarpFields fields = fieldsFor(level);
    const RowRange rows = team.rows(level.height);
    for (const Plane* p : {&fields.p11, &fields.p12, &fields.p21, &fields.p22}) zeroRows(*p, rows);
    gradientTapsRows(level.frame1.plane(), level.frame1Taps.plane(), rows.begin, rows.end);
    team.barrier();
    for (int warp = 0; warp < params_.warps; ++warp) {
      warpRows(WarpPlanes{level.frame0.plane(), level.frame1Taps.plane(), fields.u, fields.v,
                          fields.dx, fields.dy, fields.rhoC, params_.warpCubicA},
               rows.begin, rows.end);
      team.barrier();
      const int iterations = iterateWarp(team, fields, rows);
      if (iterations < 0) return false;
      if (team.index() == 0) levelIterations_[levelIndex] += iterations;
    }
    return true;
  }

  /**
   * One warp's iterations; with the median filter, in rounds of kMedianEvery that each start by
   * filtering the flow. Returns the iteration count, or -1 when cancelled.
   */
  int iterateWarp(Team& team, const WarpFields& fields, RowRange rows) {
    if (!params_.medianFilter) return iterate(team, fields, params_.maxIterations).count;
    int done = 0;
    for (;;) {
      medianStep(team, fields, rows);
      const Iterations round =
          iterate(team, fields, std::min(kMedianEvery, params_.maxIterations - done));
      if (round.count < 0) return -1;
      done += round.count;
      if (round.converged || done >= params_.maxIterations) return done;
    }
  }

  /**
   * Iterations of one warp (or of one round between median filters). Row y's primal update needs
   * the dual rows y-1 and y as they were, and the dual update of row y-1 needs the new flow of rows
   * y-1 and y, so each member walks its rows updating primal row y then dual row y-1 (one pass
   * over memory); the dual update of its last row waits for the next member's first primal row
   * (after the barrier).
   * Stops when converged or after `cap` iterations; count -1 when cancelled.
   */
  Iterations iterate(Team& team, const WarpFields& f, int cap) {
    const RowRange rows = team.rows(f.u.height);
    const float lambdaTheta = params_.lambda * params_.theta;
    const float tauOverTheta = params_.tau / params_.theta;
    const double stopBelow =
        static_cast<double>(params_.epsilon) * params_.epsilon * static_cast<double>(f.u.size());
    for (int n = 1;; ++n) {
      double change = 0.0;
      for (int y = rows.begin; y < rows.end; ++y) {
        change += primalRow(f, y, lambdaTheta, params_.theta);
        if (y > rows.begin) dualRow(f, y - 1, tauOverTheta);
      }
      team.barrier();
      if (rows.begin < rows.end) dualRow(f, rows.end - 1, tauOverTheta);
      // Two slot sets: a member may start the next iteration while another still reads these.
      const int slot = n & 1;
      errorSlots_[slot][team.index()] = change;
      if (team.index() == 0) cancelSlots_[slot] = cancel_.load(std::memory_order_relaxed);
      team.barrier();
      if (cancelSlots_[slot]) return {-1, false};
      double total = 0.0;
      for (int member = 0; member < team.size(); ++member) total += errorSlots_[slot][member];
      if (total <= stopBelow || n >= cap) return {n, total <= stopBelow};
    }
  }

  void medianStep(Team& team, const WarpFields& f, RowRange rows) {
    const Plane filteredU = scratchA_.view(f.u.width, f.u.height);
    const Plane filteredV = scratchB_.view(f.u.width, f.u.height);
    median5x5Rows(f.u, filteredU, rows.begin, rows.end);
    median5x5Rows(f.v, filteredV, rows.begin, rows.end);
    team.barrier();
    const std::size_t count = static_cast<std::size_t>(rows.end - rows.begin) * f.u.width;
    if (count > 0) {
      std::copy(filteredU.row(rows.begin), filteredU.row(rows.begin) + count, f.u.row(rows.begin));
      std::copy(filteredV.row(rows.begin), filteredV.row(rows.begin) + count, f.v.row(rows.begin));
    }
    team.barrier();
  }

  const float* input0_;
  const float* input1_;
  const Tvl1Params params_;
  const std::atomic<bool>& cancel_;
  const std::vector<float> smoothingKernel_;
  const std::vector<float> zoomKernel_;
  std::vector<Level> levels_;
  Image dx_, dy_, rhoC_, p11_, p12_, p21_, p22_, scratchA_, scratchB_;
  std::vector<float> zeros_;
  std::vector<float> minSlots_, maxSlots_;
  std::vector<double> errorSlots_[2];
  bool cancelSlots_[2] = {false, false};
  std::vector<int> levelIterations_;
  std::vector<std::unique_ptr<SpinBarrier>> subTeamBarriers_;  // [n]: for a team of n members
  bool cancelled_ = false;
};

}  // namespace

int pyramidLevels(int width, int height, float zoom, int requested) {
  const double diagonal = std::hypot(static_cast<double>(width), static_cast<double>(height));
  const double cap = 1.0 + std::log(diagonal / 16.0) / std::log(1.0 / zoom);
  int levels = cap < 1.0 ? 1 : static_cast<int>(cap);
  if (requested > 0) levels = std::min(levels, requested);
  return std::max(levels, 1);
}

void validateParams(const Tvl1Params& p) {
  auto require = [](bool ok, const char* message) {
    if (!ok) throw std::invalid_argument(message);
  };
  require(std::isfinite(p.tau) && p.tau > 0 && p.tau <= 0.25f, "tau must be in (0, 0.25]");
  require(std::isfinite(p.lambda) && p.lambda > 0, "lambda must be a positive number");
  require(std::isfinite(p.theta) && p.theta > 0, "theta must be a positive number");
  require(p.warps >= 1 && p.warps <= 100, "warps must be an integer in [1, 100]");
  require(std::isfinite(p.epsilon) && p.epsilon > 0, "epsilon must be a positive number");
  require(p.maxIterations >= 1 && p.maxIterations <= 100000,
          "maxIterations must be an integer in [1, 100000]");
  require(std::isfinite(p.zoom) && p.zoom >= 0.05f && p.zoom <= 0.95f,
          "zoom must be in [0.05, 0.95]");
  require(std::isfinite(p.sigma) && p.sigma >= 0 && p.sigma <= 10, "sigma must be in [0, 10]");
  require(std::isfinite(p.warpCubicA) && p.warpCubicA >= -1 && p.warpCubicA <= 0,
          "warpCubicA must be in [-1, 0]");
  require(p.scales >= 0 && p.scales <= 100, "scales must be an integer in [0, 100] (0 = auto)");
}

FlowResult computeTvl1(const float* frame0, const float* frame1, int width, int height,
                       const Tvl1Params& params, int threads, ThreadPool& pool,
                       const std::atomic<bool>& cancel) {
  validateParams(params);
  // Tiny images gain nothing from extra threads; keep a few rows per member.
  const int teamSize = std::max(1, std::min(threads, height / 8));
  Tvl1Solver solver(frame0, frame1, width, height, params, teamSize, cancel);
  try {
    pool.run(teamSize, [&solver](Team& team) { solver.run(team); }, cancel);
  } catch (const PoolWaitCancelled&) {
    throw FlowCancelled();
  }
  if (solver.cancelled()) throw FlowCancelled();
  return solver.takeResult();
}

}  // namespace mer
