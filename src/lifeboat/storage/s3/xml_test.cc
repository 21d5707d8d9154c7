#include "lifeboat/storage/s3/xml.h"

#include <gtest/gtest.h>

namespace lifeboat::storage::s3 {
namespace {

// Shaped like a ListObjectsV2 reply from RGW, trimmed.
constexpr std::string_view kListing =
    R"(<?xml version="1.0" encoding="UTF-8"?>)"
    R"(<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">)"
    "<Name>bucket</Name><Prefix>repo/keys/</Prefix><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys>"
    "<IsTruncated>true</IsTruncated><NextContinuationToken>1ueG&amp;x=</NextContinuationToken>"
    "<Contents><Key>repo/keys/a&amp;b</Key><Size>12</Size><StorageClass>STANDARD</StorageClass>"
    "</Contents>"
    "<Contents><Key>repo/keys/&lt;c&gt; &#233;&#x41;</Key><Size>0</Size></Contents>"
    "<StartAfter/></ListBucketResult>";

TEST(Xml, FindsElementsInOrderWithoutConfusingLongerNames) {
  const std::vector<std::string_view> contents = XmlElements(kListing, "Contents");
  ASSERT_EQ(contents.size(), 2u);
  EXPECT_EQ(XmlText(contents[0], "Key"), "repo/keys/a&b");
  EXPECT_EQ(XmlText(contents[0], "Size"), "12");
  EXPECT_EQ(XmlText(contents[1], "Key"),
            "repo/keys/<c> \xc3\xa9"
            "A");
  EXPECT_EQ(XmlText(kListing, "KeyCount"), "2");
  EXPECT_EQ(XmlText(kListing, "IsTruncated"), "true");
  EXPECT_EQ(XmlText(kListing, "NextContinuationToken"), "1ueG&x=");
}

TEST(Xml, EmptyAndMissingElements) {
  EXPECT_EQ(XmlText(kListing, "StartAfter"), "");
  EXPECT_EQ(XmlText(kListing, "Delimiter"), std::nullopt);
  EXPECT_EQ(XmlText("<Error><Code>NoSuchKey</Code><Message></Message></Error>", "Message"), "");
  EXPECT_EQ(XmlText("<Code>unterminated", "Code"), std::nullopt);
  EXPECT_EQ(XmlText("", "Code"), std::nullopt);
}

TEST(Xml, ElementsWithAttributesAreFound) {
  EXPECT_EQ(XmlText(R"(<Root><Code lang="en">SlowDown</Code></Root>)", "Code"), "SlowDown");
}

TEST(Xml, UnknownReferencesAreKeptAsWritten) {
  EXPECT_EQ(XmlUnescape("a &unknown; b & c &#xZZ; &quot;&apos;"), "a &unknown; b & c &#xZZ; \"'");
}

TEST(Xml, EscapeRoundTrips) {
  const std::string text = "\"etag\" <a> & b";
  EXPECT_EQ(XmlEscape(text), "\"etag\" &lt;a&gt; &amp; b");
  EXPECT_EQ(XmlUnescape(XmlEscape(text)), text);
}

}  // namespace
}  // namespace lifeboat::storage::s3
