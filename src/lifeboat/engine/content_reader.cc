#include "lifeboat/engine/content_reader.h"

namespace lifeboat::engine {

ContentReader::ContentReader(repo::Repository& repository, std::vector<repo::ContentChunk> content,
                             std::string what, int threads, size_t read_ahead)
    : repository_(repository),
      content_(std::move(content)),
      what_(std::move(what)),
      read_ahead_(std::max<size_t>(1, read_ahead)) {
  const int count = std::max(1, threads);
  for (int i = 0; i < count; ++i) loaders_.emplace_back([this] { LoadLoop(); });
}

ContentReader::~ContentReader() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  for (std::thread& loader : loaders_) loader.join();
}

void ContentReader::LoadLoop() {
  std::unique_lock lock(mutex_);
  while (true) {
    changed_.wait(lock, [this] {
      return stopping_ ||
             (next_to_load_ < content_.size() && next_to_load_ - next_to_read_ < read_ahead_);
    });
    if (stopping_) return;
    const size_t index = next_to_load_++;
    window_.emplace_back();  // slot index - next_to_read_
    const repo::ContentChunk chunk = content_[index];
    lock.unlock();
    Result<Bytes> blob = repository_.LoadBlob(chunk.id);
    if (blob.ok() && blob->size() != chunk.size) {
      blob = CorruptionError("blob " + chunk.id.ShortHex() + " of " + what_ + " holds " +
                             std::to_string(blob->size()) + " bytes but the tree records " +
                             std::to_string(chunk.size));
    } else if (!blob.ok()) {
      blob = blob.status().WithContext("reading " + what_);
    }
    lock.lock();
    window_[index - next_to_read_] = std::move(blob);
    changed_.notify_all();
  }
}

Result<ByteView> ContentReader::Next() {
  std::unique_lock lock(mutex_);
  if (next_to_read_ == content_.size()) return ByteView();
  changed_.wait(lock, [this] { return !window_.empty() && window_.front().has_value(); });
  Result<Bytes> blob = std::move(*window_.front());
  window_.pop_front();
  ++next_to_read_;
  lock.unlock();
  changed_.notify_all();
  if (!blob.ok()) return blob.status();
  current_ = std::move(blob).value();
  return ByteView(current_.data(), current_.size());
}

}  // namespace lifeboat::engine
