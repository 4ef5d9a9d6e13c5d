// A persistent pool of worker threads that runs SPMD "regions": every member of a team executes
// the same function and synchronises with a spin barrier, so a whole TV-L1 solve (thousands of
// phases) costs one wake-up instead of one per phase.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace mer {

/**
 * Reusable barrier for a fixed number of threads. Spins briefly (a phase is often a few
 * microseconds), then sleeps on a condition variable so that on an oversubscribed machine the
 * waiter hands its core to the member everyone is waiting for.
 */
class SpinBarrier {
 public:
  explicit SpinBarrier(int participants) : participants_(participants) {}
  void arriveAndWait();

 private:
  const int participants_;
  std::atomic<int> arrived_{0};
  std::atomic<unsigned> generation_{0};
  std::mutex mutex_;
  std::condition_variable released_;
};

struct RowRange {
  int begin;
  int end;
};

/** One member's view of a running team. */
class Team {
 public:
  Team(SpinBarrier& barrier, int index, int size) : barrier_(barrier), index_(index), size_(size) {}
  int index() const { return index_; }
  int size() const { return size_; }
  void barrier() {
    if (size_ > 1) barrier_.arriveAndWait();
  }
  /** This member's contiguous share of `count` rows (may be empty). */
  RowRange rows(int count) const {
    const long long begin = static_cast<long long>(count) * index_ / size_;
    const long long end = static_cast<long long>(count) * (index_ + 1) / size_;
    return RowRange{static_cast<int>(begin), static_cast<int>(end)};
  }

 private:
  SpinBarrier& barrier_;
  const int index_;
  const int size_;
};

/** Raised by ThreadPool::run when the caller gave up waiting for the pool (cancellation). */
struct PoolWaitCancelled {};

class ThreadPool {
 public:
  static constexpr int kMaxThreads = 64;

  ThreadPool() = default;
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  /**
   * Runs task on `threads` threads (the calling thread is member 0) and returns when all are done.
   * One region runs at a time; while another job holds the pool, `cancelled` is polled and
   * PoolWaitCancelled thrown when it becomes true. The task must not throw.
   */
  void run(int threads, const std::function<void(Team&)>& task, const std::atomic<bool>& cancelled);

 private:
  void ensureWorkers(int count);
  void workerLoop(int workerIndex);

  std::timed_mutex regionMutex_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable finished_;
  std::vector<std::thread> workers_;
  const std::function<void(Team&)>* task_ = nullptr;
  SpinBarrier* barrier_ = nullptr;
  int teamSize_ = 0;
  int pending_ = 0;
  unsigned long long epoch_ = 0;
  bool stopping_ = false;
};

int hardwareThreads();

}  // namespace mer
