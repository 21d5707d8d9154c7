// Just enough XML for S3's replies (ListObjectsV2, multipart uploads, <Error>): find elements by
// name and decode their text. Hand-written because no XML library is among lifeboat's allowed
// dependencies, and S3's replies are flat, machine-written documents: no DTDs, no CDATA, no
// namespaces on the elements we read. Not a general XML parser; never used on anything else.
// Pure functions, thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lifeboat::storage::s3 {

// The raw (still escaped) content of each element named `name`, in document order. Elements
// with attributes and empty elements (<Prefix/>) are found too; elements of the same name nested
// in each other are not supported (S3 never nests them).
std::vector<std::string_view> XmlElements(std::string_view xml, std::string_view name);

// The decoded text of the first element named `name`, or nullopt when there is none.
std::optional<std::string> XmlText(std::string_view xml, std::string_view name);

// Decodes &amp; &lt; &gt; &quot; &apos; and numeric references (&#38; &#x26;); anything else
// is kept as written.
std::string XmlUnescape(std::string_view text);
// Escapes & < > for element text we write.
std::string XmlEscape(std::string_view text);

}  // namespace lifeboat::storage::s3
