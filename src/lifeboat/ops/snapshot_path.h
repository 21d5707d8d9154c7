// Paths inside a snapshot: absolute and '/'-separated, built from tree node names. The root
// tree is "/", and its entries are the top-level names of the backed-up paths ("/srv/...") or,
// for a stream backup, the stream's file name ("/mydb.dump"). Shared by the ops that walk trees.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace lifeboat::ops {

inline std::string JoinSnapshotPath(std::string_view directory, std::string_view name) {
  std::string path(directory);
  if (path.empty() || path.back() != '/') path += '/';
  path += name;
  return path;
}

// The names along a user-given path. The leading '/' is optional; empty and "." components
// are dropped, so "", "/" and "/." all name the root.
inline std::vector<std::string_view> SplitSnapshotPath(std::string_view path) {
  std::vector<std::string_view> names;
  while (!path.empty()) {
    const size_t slash = path.find('/');
    const std::string_view name = path.substr(0, slash);
    if (!name.empty() && name != ".") names.push_back(name);
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return names;
}

}  // namespace lifeboat::ops
