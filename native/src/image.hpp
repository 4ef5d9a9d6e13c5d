// Row-major single-channel float images: an owning buffer and a non-owning view of a prefix of it.
#pragma once

#include <cstddef>
#include <vector>

namespace mer {

/** A width×height window over float storage, row stride = width. Does not own the pixels. */
struct Plane {
  float* pixels = nullptr;
  int width = 0;
  int height = 0;

  float* row(int y) const { return pixels + static_cast<std::size_t>(y) * width; }
  std::size_t size() const { return static_cast<std::size_t>(width) * height; }
};

/** Owns width×height floats, zero-initialised. Allocates only on construction. */
class Image {
 public:
  Image() = default;
  Image(int width, int height)
      : width_(width), height_(height), pixels_(static_cast<std::size_t>(width) * height, 0.0f) {}

  int width() const { return width_; }
  int height() const { return height_; }
  float* data() { return pixels_.data(); }
  const float* data() const { return pixels_.data(); }
  Plane plane() { return Plane{pixels_.data(), width_, height_}; }

  /** The same storage seen as a smaller image (coarser levels reuse finest-size scratch). */
  Plane view(int width, int height) { return Plane{pixels_.data(), width, height}; }

  std::vector<float> release() { return std::move(pixels_); }

 private:
  int width_ = 0;
  int height_ = 0;
  std::vector<float> pixels_;
};

}  // namespace mer
