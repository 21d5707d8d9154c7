#include "lifeboat/repo/tree.h"

#include <cstring>

#include "lifeboat/repo/varint.h"

namespace lifeboat::repo {

namespace {
constexpr uint8_t kTreeVersion = 1;

bool ValidName(std::string_view name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string_view::npos &&
         name.find('\0') == std::string_view::npos;
}
}  // namespace

Bytes EncodeTree(const Tree& tree) {
  Bytes out;
  out.reserve(64 + tree.nodes.size() * 96);
  out.push_back(kTreeVersion);
  PutVarint(out, tree.nodes.size());
  for (const Node& node : tree.nodes) {
    PutString(out, node.name);
    out.push_back(static_cast<uint8_t>(node.type));
    PutVarint(out, node.mode);
    PutVarint(out, node.uid);
    PutVarint(out, node.gid);
    PutString(out, node.user);
    PutString(out, node.group);
    PutSignedVarint(out, node.mtime_ns);
    PutSignedVarint(out, node.atime_ns);
    PutSignedVarint(out, node.ctime_ns);
    PutVarint(out, node.device_id);
    PutVarint(out, node.inode);
    PutVarint(out, node.links);
    PutVarint(out, node.rdev);
    PutVarint(out, node.size);
    PutString(out, node.link_target);
    PutVarint(out, node.content.size());
    for (const ContentChunk& chunk : node.content) {
      out.insert(out.end(), chunk.id.bytes.begin(), chunk.id.bytes.end());
      PutVarint(out, chunk.size);
    }
    out.push_back(node.subtree.has_value() ? 1 : 0);
    if (node.subtree) out.insert(out.end(), node.subtree->bytes.begin(), node.subtree->bytes.end());
    PutVarint(out, node.xattrs.size());
    for (const Xattr& xattr : node.xattrs) {
      PutString(out, xattr.name);
      PutString(out, AsString(xattr.value));
    }
  }
  return out;
}

Result<Tree> DecodeTree(ByteView data) {
  VarintReader reader(data);
  const Status malformed = CorruptionError("tree blob is malformed");
  uint8_t version = 0;
  if (!reader.ReadByte(&version)) return malformed;
  if (version != kTreeVersion) {
    return CorruptionError("tree blob has unknown version " + std::to_string(version));
  }
  uint64_t count = 0;
  if (!reader.ReadVarint(&count) || count > data.size()) return malformed;
  Tree tree;
  tree.nodes.resize(count);
  for (uint64_t i = 0; i < count; ++i) {
    Node& node = tree.nodes[i];
    uint8_t type = 0;
    uint64_t mode, uid, gid, chunks, xattrs, chunk_size;
    uint8_t has_subtree = 0;
    bool ok = reader.ReadString(&node.name) && reader.ReadByte(&type) && reader.ReadVarint(&mode) &&
              reader.ReadVarint(&uid) && reader.ReadVarint(&gid) && reader.ReadString(&node.user) &&
              reader.ReadString(&node.group) && reader.ReadSignedVarint(&node.mtime_ns) &&
              reader.ReadSignedVarint(&node.atime_ns) && reader.ReadSignedVarint(&node.ctime_ns) &&
              reader.ReadVarint(&node.device_id) && reader.ReadVarint(&node.inode) &&
              reader.ReadVarint(&node.links) && reader.ReadVarint(&node.rdev) &&
              reader.ReadVarint(&node.size) && reader.ReadString(&node.link_target) &&
              reader.ReadVarint(&chunks);
    if (!ok || chunks > data.size() / Id::kSize) return malformed;
    if (type < static_cast<uint8_t>(NodeType::kFile) ||
        type > static_cast<uint8_t>(NodeType::kSocket)) {
      return CorruptionError("tree blob has unknown node type " + std::to_string(type));
    }
    node.type = static_cast<NodeType>(type);
    node.mode = static_cast<uint32_t>(mode);
    node.uid = static_cast<uint32_t>(uid);
    node.gid = static_cast<uint32_t>(gid);
    node.content.resize(chunks);
    for (ContentChunk& chunk : node.content) {
      if (!reader.ReadId(&chunk.id) || !reader.ReadVarint(&chunk_size) || chunk_size > UINT32_MAX) {
        return malformed;
      }
      chunk.size = static_cast<uint32_t>(chunk_size);
    }
    if (!reader.ReadByte(&has_subtree) || has_subtree > 1) return malformed;
    if (has_subtree) {
      Id subtree;
      if (!reader.ReadId(&subtree)) return malformed;
      node.subtree = subtree;
    }
    if (!reader.ReadVarint(&xattrs) || xattrs > data.size()) return malformed;
    node.xattrs.resize(xattrs);
    for (Xattr& xattr : node.xattrs) {
      std::string value;
      if (!reader.ReadString(&xattr.name) || !reader.ReadString(&value)) return malformed;
      xattr.value.assign(value.begin(), value.end());
    }
    if (!ValidName(node.name)) return CorruptionError("tree blob has an invalid file name");
    if (i > 0 && !(tree.nodes[i - 1].name < node.name)) {
      return CorruptionError("tree blob names are not sorted and unique");
    }
  }
  if (!reader.AtEnd()) return malformed;
  return tree;
}

}  // namespace lifeboat::repo
