#include "lifeboat/repo/tree.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <random>

namespace lifeboat::repo {
namespace {

Id FilledId(uint8_t byte) {
  Id id;
  id.bytes.fill(byte);
  return id;
}

// A tree whose nodes set every field, with names that are not UTF-8.
Tree FullTree() {
  Tree tree;
  Node dir;
  dir.name = "Dir";
  dir.type = NodeType::kDirectory;
  dir.mode = 01755;
  dir.uid = 1000;
  dir.gid = 100;
  dir.user = "alice";
  dir.group = "users";
  dir.mtime_ns = 1'700'000'000'123'456'789;
  dir.atime_ns = 1'700'000'001'000'000'000;
  dir.ctime_ns = 1'700'000'002'000'000'000;
  dir.device_id = 0x803;
  dir.inode = 42;
  dir.links = 3;
  dir.subtree = FilledId(0x5a);
  dir.xattrs = {Xattr{"system.posix_acl_default", Bytes{2, 0, 0, 0, 1, 0, 7, 0}},
                Xattr{"user.empty", {}}};
  tree.nodes.push_back(dir);

  Node file;
  file.name = "file.txt";
  file.type = NodeType::kFile;
  file.mode = 06644;
  file.uid = std::numeric_limits<uint32_t>::max();
  file.gid = std::numeric_limits<uint32_t>::max() - 1;
  file.user =
      "b\xc3\xb6"
      "b";
  file.group = "\xff\xfe";
  file.mtime_ns = -1;  // before the epoch
  file.atime_ns = std::numeric_limits<int64_t>::min();
  file.ctime_ns = std::numeric_limits<int64_t>::max();
  file.device_id = std::numeric_limits<uint64_t>::max();
  file.inode = uint64_t{1} << 63;
  file.links = 2;
  file.size = 12'345'678'901;
  for (uint8_t i = 0; i < 5; ++i) {
    file.content.push_back(ContentChunk{FilledId(i), i == 4 ? 0u : 8u * 1024 * 1024});
  }
  file.xattrs = {Xattr{"security.selinux", ToBytes("system_u:object_r:etc_t:s0")},
                 Xattr{"user.binary", Bytes{0, 1, 0xff, 0}}};
  tree.nodes.push_back(file);

  Node link;
  link.name = "link\x01";
  link.type = NodeType::kSymlink;
  link.mode = 0777;
  link.link_target = "../\xe9t\xe9/\x80target";
  tree.nodes.push_back(link);

  Node device;
  device.name = "null";
  device.type = NodeType::kCharDevice;
  device.mode = 0666;
  device.rdev = (1 << 8) | 3;
  tree.nodes.push_back(device);

  Node latin1;
  latin1.name = "caf\xe9";  // Latin-1, not UTF-8
  latin1.type = NodeType::kFifo;
  tree.nodes.push_back(latin1);

  Node high;
  high.name = "\xff\xfe\xfd";  // sorts last byte-wise
  high.type = NodeType::kSocket;
  tree.nodes.push_back(high);
  // std::string orders byte-wise (as unsigned char), like the format.
  std::sort(tree.nodes.begin(), tree.nodes.end(),
            [](const Node& a, const Node& b) { return a.name < b.name; });
  return tree;
}

Node Named(std::string name) {
  Node node;
  node.name = std::move(name);
  return node;
}

void ExpectRejected(const Tree& tree, const std::string& message) {
  Result<Tree> decoded = DecodeTree(EncodeTree(tree));
  ASSERT_FALSE(decoded.ok()) << message;
  EXPECT_EQ(decoded.status().code(), StatusCode::kCorruption);
  EXPECT_EQ(decoded.status().message(), message);
}

TEST(Tree, RoundTripsEveryField) {
  const Tree tree = FullTree();
  Result<Tree> decoded = DecodeTree(EncodeTree(tree));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  ASSERT_EQ(decoded->nodes.size(), tree.nodes.size());
  for (size_t i = 0; i < tree.nodes.size(); ++i) {
    EXPECT_EQ(decoded->nodes[i], tree.nodes[i]) << i;
  }
}

TEST(Tree, RoundTripsEmptyTree) {
  const Bytes encoded = EncodeTree(Tree{});
  EXPECT_EQ(encoded, (Bytes{1, 0}));
  Result<Tree> decoded = DecodeTree(encoded);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_TRUE(decoded->nodes.empty());
}

TEST(Tree, EncodingOfAMinimalNodeIsStable) {
  Tree tree;
  tree.nodes.push_back(Named("a"));
  // version, count, name, type, mode, uid, gid, user, group, mtime, atime, ctime, device,
  // inode, links, rdev, size, link target, chunk count, has subtree, xattr count.
  EXPECT_EQ(EncodeTree(tree),
            (Bytes{1, 1, 1, 'a', 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0}));
}

TEST(Tree, EncodingIsDeterministic) {
  const Bytes first = EncodeTree(FullTree());
  EXPECT_EQ(EncodeTree(FullTree()), first);
  Result<Tree> decoded = DecodeTree(first);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(EncodeTree(*decoded), first);
}

TEST(Tree, AnyChangedFieldChangesTheEncoding) {
  const Bytes base = EncodeTree(FullTree());
  auto node = [](Tree& tree, std::string_view name) -> Node& {
    for (Node& n : tree.nodes) {
      if (n.name == name) return n;
    }
    ADD_FAILURE() << "no node " << name;
    return tree.nodes.front();
  };
  Tree changed = FullTree();
  node(changed, "file.txt").mtime_ns += 1;
  EXPECT_NE(EncodeTree(changed), base);
  changed = FullTree();
  node(changed, "file.txt").xattrs[1].value.push_back(0);
  EXPECT_NE(EncodeTree(changed), base);
  changed = FullTree();
  node(changed, "file.txt").content[2].size -= 1;
  EXPECT_NE(EncodeTree(changed), base);
  changed = FullTree();
  node(changed, "Dir").subtree.reset();
  EXPECT_NE(EncodeTree(changed), base);
}

TEST(Tree, NamesSortByteWise) {
  Tree tree;
  tree.nodes = {Named("B"),    Named("a"),    Named("a\x01"),
                Named("\x7f"), Named("\x80"), Named("\xff")};
  Result<Tree> decoded = DecodeTree(EncodeTree(tree));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->nodes.size(), 6u);
}

TEST(Tree, RejectsUnsortedNames) {
  Tree tree;
  tree.nodes = {Named("b"), Named("a")};
  ExpectRejected(tree, "tree blob names are not sorted and unique");
  // Byte-wise, not signed-char order: 0xff sorts after 'a'.
  tree.nodes = {Named("\xff"), Named("a")};
  ExpectRejected(tree, "tree blob names are not sorted and unique");
  tree.nodes = {Named("ab"), Named("a")};
  ExpectRejected(tree, "tree blob names are not sorted and unique");
}

TEST(Tree, RejectsDuplicateNames) {
  Tree tree;
  tree.nodes = {Named("a"), Named("b"), Named("b")};
  ExpectRejected(tree, "tree blob names are not sorted and unique");
}

TEST(Tree, RejectsInvalidNames) {
  for (const std::string& name :
       {std::string(""), std::string("."), std::string(".."), std::string("a/b"), std::string("/"),
        std::string("a/"), std::string("a\0b", 3), std::string(1, '\0')}) {
    Tree tree;
    tree.nodes = {Named(name)};
    ExpectRejected(tree, "tree blob has an invalid file name");
  }
  // Names that merely look special are fine.
  Tree tree;
  tree.nodes = {Named("..."), Named(".a"), Named("\\"), Named("a..")};
  EXPECT_TRUE(DecodeTree(EncodeTree(tree)).ok());
}

TEST(Tree, RejectsUnknownNodeType) {
  for (uint8_t type : {0, 8, 255}) {
    Tree tree;
    tree.nodes = {Named("a")};
    tree.nodes[0].type = static_cast<NodeType>(type);
    ExpectRejected(tree, "tree blob has unknown node type " + std::to_string(type));
  }
}

TEST(Tree, RejectsUnknownVersion) {
  for (uint8_t version : {0, 2, 255}) {
    Bytes encoded = EncodeTree(FullTree());
    encoded[0] = version;
    Result<Tree> decoded = DecodeTree(encoded);
    ASSERT_FALSE(decoded.ok());
    EXPECT_EQ(decoded.status().code(), StatusCode::kCorruption);
    EXPECT_EQ(decoded.status().message(),
              "tree blob has unknown version " + std::to_string(version));
  }
}

TEST(Tree, RejectsEveryTruncation) {
  const Bytes encoded = EncodeTree(FullTree());
  for (size_t size = 0; size < encoded.size(); ++size) {
    Result<Tree> decoded = DecodeTree(ByteView(encoded).first(size));
    ASSERT_FALSE(decoded.ok()) << size;
    EXPECT_EQ(decoded.status().code(), StatusCode::kCorruption) << size;
    EXPECT_EQ(decoded.status().message(), "tree blob is malformed") << size;
  }
}

TEST(Tree, RejectsTrailingBytes) {
  Bytes encoded = EncodeTree(FullTree());
  encoded.push_back(0);
  Result<Tree> decoded = DecodeTree(encoded);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().code(), StatusCode::kCorruption);
  EXPECT_EQ(decoded.status().message(), "tree blob is malformed");
}

TEST(Tree, RejectsBadSubtreeFlag) {
  Tree tree;
  tree.nodes = {Named("a")};
  Bytes encoded = EncodeTree(tree);
  encoded[encoded.size() - 2] = 2;  // has_subtree, before the xattr count
  Result<Tree> decoded = DecodeTree(encoded);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().message(), "tree blob is malformed");
}

TEST(Tree, RejectsHugeCountsWithoutAllocating) {
  // A node count of 2^63: must fail at once rather than try to allocate.
  Bytes encoded = {1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01};
  Result<Tree> decoded = DecodeTree(encoded);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().message(), "tree blob is malformed");

  // A chunk count far beyond what the input could hold.
  Tree tree;
  tree.nodes = {Named("a")};
  Bytes one = EncodeTree(tree);
  one[one.size() - 3] = 0x7f;  // chunk count 127, with no chunks following
  decoded = DecodeTree(one);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().message(), "tree blob is malformed");
}

TEST(Tree, SurvivesRandomDamage) {
  // Damaged input must fail cleanly or decode to something; never crash (run under ASan).
  const Bytes encoded = EncodeTree(FullTree());
  std::mt19937_64 rng(1);
  for (int i = 0; i < 20000; ++i) {
    Bytes damaged = encoded;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) damaged[rng() % damaged.size()] = static_cast<uint8_t>(rng());
    Result<Tree> decoded = DecodeTree(damaged);
    if (!decoded.ok()) {
      EXPECT_EQ(decoded.status().code(), StatusCode::kCorruption);
    }
  }
}

}  // namespace
}  // namespace lifeboat::repo
