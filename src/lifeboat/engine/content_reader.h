// ContentReader: a stored file's bytes, in order, with the next chunks already loading — how a
// source restore feeds a database from a snapshot without first writing a file. A small fixed
// pool of threads loads, decrypts and verifies blobs ahead of the reader, so small chunks (a
// database stream's 16 KiB) cost no thread start each.
//
// Use: construct with the file's node (from the snapshot's tree) and call Next() until it
// returns an empty view; the view stays valid until the next call. Used from one thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "lifeboat/repo/repository.h"
#include "lifeboat/repo/tree.h"

namespace lifeboat::engine {

class ContentReader {
 public:
  // The repository must be open with its index loaded and outlive the reader. `what` names the
  // file in errors.
  ContentReader(repo::Repository& repository, std::vector<repo::ContentChunk> content,
                std::string what, int threads = 2, size_t read_ahead = 32);
  ~ContentReader();
  ContentReader(const ContentReader&) = delete;
  ContentReader& operator=(const ContentReader&) = delete;

  // The next chunk's bytes; an empty view at the end. kCorruption when a blob's size differs
  // from the tree's record; the repository's error when a blob cannot be loaded.
  Result<ByteView> Next();

 private:
  void LoadLoop();

  repo::Repository& repository_;
  const std::vector<repo::ContentChunk> content_;
  const std::string what_;
  const size_t read_ahead_;
  std::mutex mutex_;
  std::condition_variable changed_;
  size_t next_to_load_ = 0;                          // index of the next chunk a loader takes
  size_t next_to_read_ = 0;                          // index of the next chunk Next() returns
  std::deque<std::optional<Result<Bytes>>> window_;  // chunks next_to_read_.. in flight or done
  bool stopping_ = false;
  Bytes current_;
  std::vector<std::thread> loaders_;
};

}  // namespace lifeboat::engine
