// N-API surface of mer_flow:
//   computeFlow(frame0, frame1, width, height, options?) -> { promise, cancel() }
//   opticalStrain(u, v, width, height) -> Float32Array
//   hardwareThreads() -> number
//   limits -> { maxSide, maxPixels, maxThreads }
// Every argument is validated here too, so a direct caller gets a JS exception, never a crash.
#include <napi.h>

#include <atomic>
#include <cmath>
#include <memory>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "strain.hpp"
#include "thread_pool.hpp"
#include "tvl1.hpp"

namespace {

constexpr int kMaxSide = 8192;
constexpr long long kMaxPixels = 16LL * 1024 * 1024;

struct Size {
  int width;
  int height;
  std::size_t pixels() const { return static_cast<std::size_t>(width) * height; }
};

std::shared_ptr<mer::ThreadPool> sharedPool() {
  static const auto pool = std::make_shared<mer::ThreadPool>();
  return pool;
}

int readDimension(const Napi::Value& value, const char* name) {
  if (!value.IsNumber()) {
    throw Napi::TypeError::New(value.Env(), std::string(name) + " must be a number");
  }
  const double number = value.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(number) || number != std::floor(number) || number < 1 || number > kMaxSide) {
    throw Napi::RangeError::New(value.Env(), std::string(name) + " must be an integer in [1, " +
                                                 std::to_string(kMaxSide) + "]");
  }
  return static_cast<int>(number);
}

Size readSize(const Napi::CallbackInfo& info, std::size_t widthIndex) {
  const Size size{readDimension(info[widthIndex], "width"),
                  readDimension(info[widthIndex + 1], "height")};
  if (static_cast<long long>(size.pixels()) > kMaxPixels) {
    throw Napi::RangeError::New(info.Env(), "image of " + std::to_string(size.width) + "x" +
                                                std::to_string(size.height) +
                                                " exceeds the limit of " +
                                                std::to_string(kMaxPixels) + " pixels");
  }
  return size;
}

/** Copies a Float32Array or Uint8Array of exactly `expected` finite values into floats. */
std::vector<float> readPixels(const Napi::Value& value, std::size_t expected, const char* name) {
  const Napi::Env env = value.Env();
  if (!value.IsTypedArray()) {
    throw Napi::TypeError::New(env, std::string(name) + " must be a Float32Array or Uint8Array");
  }
  const auto array = value.As<Napi::TypedArray>();
  if (array.ElementLength() != expected) {
    throw Napi::RangeError::New(env, std::string(name) + " has " +
                                         std::to_string(array.ElementLength()) +
                                         " values, expected width*height = " +
                                         std::to_string(expected));
  }
  std::vector<float> pixels(expected);
  switch (array.TypedArrayType()) {
    case napi_float32_array: {
      const float* data = value.As<Napi::Float32Array>().Data();
      for (std::size_t i = 0; i < expected; ++i) {
        if (!std::isfinite(data[i])) {
          throw Napi::RangeError::New(
              env, std::string(name) + " contains NaN or Infinity at index " + std::to_string(i));
        }
        pixels[i] = data[i];
      }
      break;
    }
    case napi_uint8_array:
    case napi_uint8_clamped_array: {
      const auto bytes = value.As<Napi::TypedArrayOf<uint8_t>>();
      for (std::size_t i = 0; i < expected; ++i) pixels[i] = bytes[i];
      break;
    }
    default:
      throw Napi::TypeError::New(env, std::string(name) + " must be a Float32Array or Uint8Array");
  }
  return pixels;
}

double optionalNumber(const Napi::Object& options, const char* key, double fallback) {
  const Napi::Value value = options.Get(key);
  if (value.IsUndefined()) return fallback;
  if (!value.IsNumber()) {
    throw Napi::TypeError::New(options.Env(), std::string("option ") + key + " must be a number");
  }
  const double number = value.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(number)) {
    throw Napi::RangeError::New(options.Env(), std::string("option ") + key + " must be finite");
  }
  return number;
}

int optionalInteger(const Napi::Object& options, const char* key, int fallback, int low, int high) {
  const double number = optionalNumber(options, key, fallback);
  if (number != std::floor(number) || number < low || number > high) {
    throw Napi::RangeError::New(options.Env(), std::string("option ") + key +
                                                   " must be an integer in [" +
                                                   std::to_string(low) + ", " +
                                                   std::to_string(high) + "]");
  }
  return static_cast<int>(number);
}

struct FlowRequest {
  mer::Tvl1Params params;
  int threads;
};

FlowRequest readOptions(const Napi::Value& value) {
  FlowRequest request{mer::Tvl1Params{}, mer::hardwareThreads()};
  if (value.IsUndefined() || value.IsNull()) return request;
  if (!value.IsObject()) throw Napi::TypeError::New(value.Env(), "options must be an object");
  const auto options = value.As<Napi::Object>();
  mer::Tvl1Params& p = request.params;
  p.tau = static_cast<float>(optionalNumber(options, "tau", p.tau));
  p.lambda = static_cast<float>(optionalNumber(options, "lambda", p.lambda));
  p.theta = static_cast<float>(optionalNumber(options, "theta", p.theta));
  p.epsilon = static_cast<float>(optionalNumber(options, "epsilon", p.epsilon));
  p.zoom = static_cast<float>(optionalNumber(options, "zoom", p.zoom));
  p.sigma = static_cast<float>(optionalNumber(options, "sigma", p.sigma));
  p.warpCubicA = static_cast<float>(optionalNumber(options, "warpCubicA", p.warpCubicA));
  p.warps = optionalInteger(options, "warps", p.warps, 1, 100);
  p.maxIterations = optionalInteger(options, "maxIterations", p.maxIterations, 1, 100000);
  p.scales = optionalInteger(options, "scales", p.scales, 0, 100);
  const Napi::Value median = options.Get("medianFilter");
  if (!median.IsUndefined()) {
    if (!median.IsBoolean()) {
      throw Napi::TypeError::New(value.Env(), "option medianFilter must be a boolean");
    }
    p.medianFilter = median.As<Napi::Boolean>().Value();
  }
  request.threads =
      optionalInteger(options, "threads", request.threads, 1, mer::ThreadPool::kMaxThreads);
  try {
    mer::validateParams(p);
  } catch (const std::invalid_argument& error) {
    throw Napi::RangeError::New(value.Env(), std::string("option ") + error.what());
  }
  return request;
}

Napi::Float32Array toFloat32Array(Napi::Env env, const std::vector<float>& values) {
  auto array = Napi::Float32Array::New(env, values.size());
  std::copy(values.begin(), values.end(), array.Data());
  return array;
}

class FlowWorker : public Napi::AsyncWorker {
 public:
  FlowWorker(Napi::Env env, std::vector<float> frame0, std::vector<float> frame1, Size size,
             FlowRequest request, std::shared_ptr<std::atomic<bool>> cancel)
      : Napi::AsyncWorker(env, "mer_flow.computeFlow"),
        deferred_(Napi::Promise::Deferred::New(env)),
        frame0_(std::move(frame0)),
        frame1_(std::move(frame1)),
        size_(size),
        request_(request),
        cancel_(std::move(cancel)),
        pool_(sharedPool()) {}

  Napi::Promise promise() const { return deferred_.Promise(); }

 protected:
  void Execute() override {
    try {
      result_ = mer::computeTvl1(frame0_.data(), frame1_.data(), size_.width, size_.height,
                                 request_.params, request_.threads, *pool_, *cancel_);
    } catch (const mer::FlowCancelled& error) {
      cancelled_ = true;
      SetError(error.what());
    } catch (const std::bad_alloc&) {
      SetError("not enough memory for optical flow of this image size");
    } catch (const std::exception& error) {
      SetError(error.what());
    }
    // The inputs are no longer needed; free them before the result crosses to JS.
    std::vector<float>().swap(frame0_);
    std::vector<float>().swap(frame1_);
  }

  void OnOK() override {
    const Napi::Env env = Env();
    auto flow = Napi::Object::New(env);
    flow.Set("u", toFloat32Array(env, result_.u));
    flow.Set("v", toFloat32Array(env, result_.v));
    flow.Set("iterations", Napi::Number::New(env, static_cast<double>(result_.iterations)));
    flow.Set("scales", Napi::Number::New(env, result_.scales));
    auto perLevel = Napi::Array::New(env, result_.iterationsPerLevel.size());
    for (std::size_t i = 0; i < result_.iterationsPerLevel.size(); ++i) {
      perLevel.Set(static_cast<uint32_t>(i), Napi::Number::New(env, result_.iterationsPerLevel[i]));
    }
    flow.Set("iterationsPerLevel", perLevel);
    deferred_.Resolve(flow);
  }

  void OnError(const Napi::Error& error) override {
    if (cancelled_) {
      error.Set("name", Napi::String::New(Env(), "AbortError"));
      error.Set("code", Napi::String::New(Env(), "ABORT_ERR"));
    }
    deferred_.Reject(error.Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  std::vector<float> frame0_;
  std::vector<float> frame1_;
  const Size size_;
  const FlowRequest request_;
  const std::shared_ptr<std::atomic<bool>> cancel_;
  const std::shared_ptr<mer::ThreadPool> pool_;
  mer::FlowResult result_;
  bool cancelled_ = false;
};

Napi::Value ComputeFlow(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const Size size = readSize(info, 2);
  std::vector<float> frame0 = readPixels(info[0], size.pixels(), "frame0");
  std::vector<float> frame1 = readPixels(info[1], size.pixels(), "frame1");
  const FlowRequest request = readOptions(info[4]);
  auto cancel = std::make_shared<std::atomic<bool>>(false);
  // AsyncWorker deletes itself after OnOK/OnError; N-API owns it once queued.
  auto worker = std::make_unique<FlowWorker>(env, std::move(frame0), std::move(frame1), size,
                                             request, cancel);
  auto handle = Napi::Object::New(env);
  handle.Set("promise", worker->promise());
  handle.Set("cancel", Napi::Function::New(
                           env, [cancel](const Napi::CallbackInfo&) { cancel->store(true); },
                           "cancel"));
  worker.release()->Queue();
  return handle;
}

Napi::Value OpticalStrain(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const Size size = readSize(info, 2);
  std::vector<float> u = readPixels(info[0], size.pixels(), "u");
  std::vector<float> v = readPixels(info[1], size.pixels(), "v");
  auto strain = Napi::Float32Array::New(env, size.pixels());
  mer::opticalStrain(mer::Plane{u.data(), size.width, size.height},
                     mer::Plane{v.data(), size.width, size.height},
                     mer::Plane{strain.Data(), size.width, size.height});
  return strain;
}

Napi::Value HardwareThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), mer::hardwareThreads());
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("computeFlow", Napi::Function::New(env, ComputeFlow, "computeFlow"));
  exports.Set("opticalStrain", Napi::Function::New(env, OpticalStrain, "opticalStrain"));
  exports.Set("hardwareThreads", Napi::Function::New(env, HardwareThreads, "hardwareThreads"));
  auto limits = Napi::Object::New(env);
  limits.Set("maxSide", Napi::Number::New(env, kMaxSide));
  limits.Set("maxPixels", Napi::Number::New(env, static_cast<double>(kMaxPixels)));
  limits.Set("maxThreads", Napi::Number::New(env, mer::ThreadPool::kMaxThreads));
  exports.Set("limits", limits);
  return exports;
}

}  // namespace

NODE_API_MODULE(mer_flow, Init)
