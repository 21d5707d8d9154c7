// BoundedQueue: a multi-producer, multi-consumer queue whose capacity is measured in a cost
// unit the caller chooses (items, or bytes of the payload), so pipelines keep memory bounded.
// Push blocks while the queue is full; Pop blocks while it is empty. Close() wakes everyone:
// further pushes fail and Pop drains what is left, then returns nullopt. Thread-safe.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <utility>

namespace lifeboat {

template <typename T>
class BoundedQueue {
 public:
  explicit BoundedQueue(size_t capacity) : capacity_(capacity) {}

  // Returns false when the queue was closed. An item whose cost exceeds the capacity is
  // accepted once the queue is empty, so a single large item cannot deadlock.
  bool Push(T item, size_t cost = 1) {
    std::unique_lock lock(mutex_);
    not_full_.wait(lock, [&] { return closed_ || used_ == 0 || used_ + cost <= capacity_; });
    if (closed_) return false;
    used_ += cost;
    items_.emplace_back(std::move(item), cost);
    not_empty_.notify_one();
    return true;
  }

  std::optional<T> Pop() {
    std::unique_lock lock(mutex_);
    not_empty_.wait(lock, [&] { return closed_ || !items_.empty(); });
    if (items_.empty()) return std::nullopt;
    auto [item, cost] = std::move(items_.front());
    items_.pop_front();
    used_ -= cost;
    not_full_.notify_all();
    return std::move(item);
  }

  void Close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    not_empty_.notify_all();
    not_full_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable not_empty_;
  std::condition_variable not_full_;
  std::deque<std::pair<T, size_t>> items_;
  size_t capacity_;
  size_t used_ = 0;
  bool closed_ = false;
};

}  // namespace lifeboat
