// Tree: the listing of one directory in a snapshot, stored as a blob. Each Node records one
// entry with all the metadata a restore needs; a directory node points to the tree blob of its
// contents, a file node lists the blobs of its content in order, with their sizes so a restore
// knows every chunk's offset without reading it. Trees are sorted by name (byte-wise), which
// makes encoding deterministic: an unchanged directory encodes to the same blob and
// deduplicates. The binary encoding is specified in docs/FORMAT.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lifeboat/util/bytes.h"
#include "lifeboat/util/id.h"
#include "lifeboat/util/result.h"

namespace lifeboat::repo {

enum class NodeType : uint8_t {
  kFile = 1,
  kDirectory = 2,
  kSymlink = 3,
  kCharDevice = 4,
  kBlockDevice = 5,
  kFifo = 6,
  kSocket = 7,
};

struct ContentChunk {
  Id id;
  uint32_t size = 0;  // plaintext bytes
  friend bool operator==(const ContentChunk&, const ContentChunk&) = default;
};

struct Xattr {
  std::string name;
  Bytes value;
  friend bool operator==(const Xattr&, const Xattr&) = default;
};

struct Node {
  std::string name;  // raw bytes of the file name; need not be valid UTF-8
  NodeType type = NodeType::kFile;
  uint32_t mode = 0;  // permission bits including setuid, setgid and sticky (st_mode & 07777)
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::string user;   // owner name when known at backup time
  std::string group;  // group name when known at backup time
  int64_t mtime_ns = 0;
  int64_t atime_ns = 0;
  int64_t ctime_ns = 0;
  uint64_t device_id = 0;  // st_dev: with inode, identifies hard-link groups and unchanged files
  uint64_t inode = 0;
  uint64_t links = 1;                 // st_nlink
  uint64_t rdev = 0;                  // device number of character and block devices
  uint64_t size = 0;                  // file length in bytes (files only)
  std::string link_target;            // symlinks only, raw bytes
  std::vector<ContentChunk> content;  // files only
  std::optional<Id> subtree;          // directories only
  std::vector<Xattr> xattrs;          // includes POSIX ACLs (system.posix_acl_*)

  friend bool operator==(const Node&, const Node&) = default;
};

struct Tree {
  std::vector<Node> nodes;  // sorted by name, names unique
};

Bytes EncodeTree(const Tree& tree);
// kCorruption on malformed input (truncated, unknown version, unsorted or duplicate names,
// names containing '/' or NUL, or equal to "." or "..").
Result<Tree> DecodeTree(ByteView data);

}  // namespace lifeboat::repo
