#include "thread_pool.hpp"

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
#include <immintrin.h>
#define MER_CPU_RELAX() _mm_pause()
#else
#define MER_CPU_RELAX() std::this_thread::yield()
#endif

namespace mer {

void SpinBarrier::arriveAndWait() {
  const unsigned generation = generation_.load(std::memory_order_acquire);
  if (arrived_.fetch_add(1, std::memory_order_acq_rel) + 1 == participants_) {
    arrived_.store(0, std::memory_order_relaxed);
    {
      // Bumping under the mutex means a waiter cannot miss the wake-up between check and sleep.
      std::lock_guard<std::mutex> lock(mutex_);
      generation_.fetch_add(1, std::memory_order_release);
    }
    released_.notify_all();
    return;
  }
  // Spin for about 20 µs (one iteration of a 224×224 level takes tens of µs), checking the clock
  // every 32 pauses: PAUSE lasts from ~10 to ~140 cycles depending on the CPU.
  const auto spinUntil = std::chrono::steady_clock::now() + std::chrono::microseconds(20);
  for (int spins = 1;; ++spins) {
    if (generation_.load(std::memory_order_acquire) != generation) return;
    MER_CPU_RELAX();
    if (spins % 32 == 0 && std::chrono::steady_clock::now() > spinUntil) break;
  }
  std::unique_lock<std::mutex> lock(mutex_);
  released_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != generation; });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& worker : workers_) worker.join();
}

void ThreadPool::ensureWorkers(int count) {
  while (static_cast<int>(workers_.size()) < count) {
    const int index = static_cast<int>(workers_.size()) + 1;
    workers_.emplace_back([this, index] { workerLoop(index); });
  }
}

void ThreadPool::run(int threads, const std::function<void(Team&)>& task,
                     const std::atomic<bool>& cancelled) {
  if (threads < 1) threads = 1;
  if (threads > kMaxThreads) threads = kMaxThreads;
  std::unique_lock<std::timed_mutex> region(regionMutex_, std::defer_lock);
  while (!region.try_lock_for(std::chrono::milliseconds(5))) {
    if (cancelled.load(std::memory_order_relaxed)) throw PoolWaitCancelled{};
  }
  SpinBarrier barrier(threads);
  if (threads > 1) {
    std::lock_guard<std::mutex> lock(mutex_);
    ensureWorkers(threads - 1);
    task_ = &task;
    barrier_ = &barrier;
    teamSize_ = threads;
    pending_ = threads - 1;
    ++epoch_;
  }
  wake_.notify_all();
  Team self(barrier, 0, threads);
  task(self);
  if (threads > 1) {
    std::unique_lock<std::mutex> lock(mutex_);
    finished_.wait(lock, [this] { return pending_ == 0; });
    task_ = nullptr;
    barrier_ = nullptr;
  }
}

void ThreadPool::workerLoop(int workerIndex) {
  unsigned long long seenEpoch = 0;
  for (;;) {
    const std::function<void(Team&)>* task;
    SpinBarrier* barrier;
    int teamSize;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || (epoch_ != seenEpoch && task_ != nullptr); });
      if (stopping_) return;
      seenEpoch = epoch_;
      if (workerIndex >= teamSize_) continue;  // not needed for this (smaller) team
      task = task_;
      barrier = barrier_;
      teamSize = teamSize_;
    }
    Team member(*barrier, workerIndex, teamSize);
    (*task)(member);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      --pending_;
    }
    finished_.notify_one();
  }
}

int hardwareThreads() {
  const unsigned count = std::thread::hardware_concurrency();
  return count == 0 ? 1 : static_cast<int>(count);
}

}  // namespace mer
