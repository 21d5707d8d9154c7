// Reading and applying file-system metadata for backup and restore: turns an lstat plus
// readlink, extended attributes (which carry POSIX ACLs as system.posix_acl_access/default) and
// owner names into a repo::Node, and applies a Node's metadata to a restored path. Special
// files (FIFOs, devices, sockets) are described too; creating them on restore is best effort.
// All functions are thread-safe (owner-name lookups are cached under a mutex).
#pragma once

#include <string>

#include "lifeboat/repo/tree.h"
#include "lifeboat/util/result.h"

namespace lifeboat::engine {

// Describes the entry at `path` (not following a final symlink) as a Node named `name`.
// Content and subtree are left empty. Xattrs that cannot be read are skipped, not fatal.
// Fails with kNotFound if the entry vanished, kPermissionDenied if it cannot be examined.
Result<repo::Node> ReadNodeMetadata(const std::string& path, const std::string& name);

struct ApplyOptions {
  bool restore_owner = true;   // chown (lchown) — only effective when running as root
  bool restore_xattrs = true;  // includes ACLs
};

// Creates a non-regular, non-directory entry (symlink, FIFO, device, socket placeholder is
// skipped) at path. Fails with kUnsupported for sockets, kPermissionDenied for devices when
// not privileged.
Status CreateSpecialNode(const std::string& path, const repo::Node& node);

// Applies ownership, mode, extended attributes and timestamps (mtime and atime, with
// nanoseconds, not following symlinks) in an order that keeps them all: owner, then mode (chown
// clears setuid), then xattrs, then times. Symlinks get owner and times only.
Status ApplyNodeMetadata(const std::string& path, const repo::Node& node,
                         const ApplyOptions& options);

}  // namespace lifeboat::engine
