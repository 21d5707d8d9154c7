#include "lifeboat/storage/s3/sigv4.h"

#include <gtest/gtest.h>

#include <string>

namespace lifeboat::storage::s3 {
namespace {

// Every expected value below is copied from a published source, never computed by this code:
// the AWS Signature Version 4 test suite (aws-sig-v4-test-suite, 2015: .creq/.sts/.authz files,
// credentials AKIDEXAMPLE, region us-east-1, service "service", 20150830T123600Z), its newer
// "unnormalized" cases (the awslabs/aws-c-auth copy of the suite), and the GET Object example of
// the Amazon S3 API reference ("Signature Calculations for the Authorization Header").
const Credentials kSuiteCredentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
const SigningScope kSuiteScope{"20150830T123600Z", "us-east-1", "service"};
constexpr std::string_view kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr std::string_view kSuiteCredentialPrefix =
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, ";
constexpr std::string_view kStsToken =
    "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPf"
    "IeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/"
    "kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0"
    "wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+"
    "scqKmlzm8FDrypN"
    "C9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";

SigningRequest SuiteRequest(std::string method, std::string path) {
  SigningRequest request;
  request.method = std::move(method);
  request.encoded_path = std::move(path);
  request.headers = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}};
  request.payload_hash = std::string(kEmptySha256);
  return request;
}

TEST(SigV4, GetVanilla) {
  const SigningRequest request = SuiteRequest("GET", "/");
  const std::string canonical = CanonicalRequest(request);
  EXPECT_EQ(canonical,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(StringToSign(kSuiteScope, canonical),
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
            "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
  EXPECT_EQ(Authorization(kSuiteCredentials, kSuiteScope, request),
            std::string(kSuiteCredentialPrefix) +
                "SignedHeaders=host;x-amz-date, "
                "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST(SigV4, GetVanillaQueryOrderKeyCase) {
  SigningRequest request = SuiteRequest("GET", "/");
  request.query = {{"Param2", "value2"}, {"Param1", "value1"}};
  const std::string canonical = CanonicalRequest(request);
  EXPECT_EQ(canonical,
            "GET\n/\nParam1=value1&Param2=value2\nhost:example.amazonaws.com\n"
            "x-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(StringToSign(kSuiteScope, canonical),
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
            "816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0");
  EXPECT_EQ(Authorization(kSuiteCredentials, kSuiteScope, request),
            std::string(kSuiteCredentialPrefix) +
                "SignedHeaders=host;x-amz-date, "
                "Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
}

TEST(SigV4, GetHeaderValueTrim) {
  SigningRequest request = SuiteRequest("GET", "/");
  request.headers.emplace_back("My-Header1", " value1");
  request.headers.emplace_back("My-Header2", "\"a   b   c\"");
  const std::string canonical = CanonicalRequest(request);
  EXPECT_EQ(canonical,
            "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nmy-header2:\"a b c\"\n"
            "x-amz-date:20150830T123600Z\n\nhost;my-header1;my-header2;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(StringToSign(kSuiteScope, canonical),
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
            "a726db9b0df21c14f559d0a978e563112acb1b9e05476f0a6a1c7d68f28605c7");
  EXPECT_EQ(Authorization(kSuiteCredentials, kSuiteScope, request),
            std::string(kSuiteCredentialPrefix) +
                "SignedHeaders=host;my-header1;my-header2;x-amz-date, "
                "Signature=acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736");
}

TEST(SigV4, GetHeaderKeyDuplicateJoinsValuesInOrder) {
  SigningRequest request = SuiteRequest("GET", "/");
  request.headers.emplace_back("My-Header1", "value2");
  request.headers.emplace_back("My-Header1", "value2");
  request.headers.emplace_back("My-Header1", "value1");
  EXPECT_EQ(Authorization(kSuiteCredentials, kSuiteScope, request),
            std::string(kSuiteCredentialPrefix) +
                "SignedHeaders=host;my-header1;x-amz-date, "
                "Signature=c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea");
}

TEST(SigV4, PostXWwwFormUrlencoded) {
  SigningRequest request = SuiteRequest("POST", "/");
  request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  request.payload_hash = Sha256Hex(AsBytes("Param1=value1"));
  EXPECT_EQ(request.payload_hash,
            "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e");
  const std::string canonical = CanonicalRequest(request);
  EXPECT_EQ(canonical,
            "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\n"
            "host:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
            "content-type;host;x-amz-date\n"
            "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e");
  EXPECT_EQ(StringToSign(kSuiteScope, canonical),
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
            "42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281");
  EXPECT_EQ(Authorization(kSuiteCredentials, kSuiteScope, request),
            std::string(kSuiteCredentialPrefix) +
                "SignedHeaders=content-type;host;x-amz-date, "
                "Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a");
}

TEST(SigV4, PostStsHeaderBeforeSignsTheSessionToken) {
  SigningRequest request = SuiteRequest("POST", "/");
  request.headers.emplace_back("X-Amz-Security-Token", std::string(kStsToken));
  const std::string canonical = CanonicalRequest(request);
  EXPECT_EQ(StringToSign(kSuiteScope, canonical),
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
            "c237e1b440d4c63c32ca95b5b99481081cb7b13c7e40434868e71567c1a882f6");
  EXPECT_EQ(Authorization(kSuiteCredentials, kSuiteScope, request),
            std::string(kSuiteCredentialPrefix) +
                "SignedHeaders=host;x-amz-date;x-amz-security-token, "
                "Signature=85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead");
}

// The suite's normalize-path cases as S3 signs them: the path is neither normalized nor
// encoded twice (the suite's "-unnormalized" variants and its single-encoding get-space and
// get-utf8 cases). Paths go through UriEncode as the S3 backend's keys do.
TEST(SigV4, S3PathsAreSignedUnnormalizedAndEncodedOnce) {
  struct Case {
    std::string_view raw_path;
    std::string_view encoded_path;
    std::string_view signature;
  };
  const Case cases[] = {
      {"//example//", "//example//",
       "87cca117541a147f6df867677d98a7d80dff226d2bfca9e4ffa899665623c7e5"},
      {"/example1/example2/../..", "/example1/example2/../..",
       "dc33e0856fd4baca4d7aa2146c38958283844764f38c74252a333df5e613003b"},
      {"/example space/", "/example%20space/",
       "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741"},
      {"/\xe1\x88\xb4", "/%E1%88%B4",
       "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"},
  };
  for (const Case& test : cases) {
    const std::string encoded = UriEncode(test.raw_path, /*keep_slash=*/true);
    EXPECT_EQ(encoded, test.encoded_path);
    EXPECT_EQ(Authorization(kSuiteCredentials, kSuiteScope, SuiteRequest("GET", encoded)),
              std::string(kSuiteCredentialPrefix) +
                  "SignedHeaders=host;x-amz-date, Signature=" + std::string(test.signature))
        << test.raw_path;
  }
}

TEST(SigV4, S3GetObjectExampleWithRange) {
  const Credentials credentials{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                                ""};
  const SigningScope scope{"20130524T000000Z", "us-east-1", "s3"};
  SigningRequest request;
  request.method = "GET";
  request.encoded_path = "/test.txt";
  request.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
                     {"Range", "bytes=0-9"},
                     {"x-amz-content-sha256", std::string(kEmptySha256)},
                     {"x-amz-date", "20130524T000000Z"}};
  request.payload_hash = std::string(kEmptySha256);
  const std::string canonical = CanonicalRequest(request);
  EXPECT_EQ(canonical,
            "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
            "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
            "\nx-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  const std::string string_to_sign = StringToSign(scope, canonical);
  EXPECT_EQ(string_to_sign,
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  EXPECT_EQ(Signature(credentials, scope, string_to_sign),
            "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_EQ(Authorization(credentials, scope, request).find(credentials.secret_access_key),
            std::string::npos);
}

TEST(SigV4, ValuelessQueryParametersAreSignedWithAnEmptyValue) {
  // S3's ?uploads and ?delete: the canonical form is "uploads=", whatever the URL says.
  EXPECT_EQ(CanonicalQueryString({{"uploads", ""}}), "uploads=");
  EXPECT_EQ(CanonicalQueryString({{"prefix", "a b/c"}, {"list-type", "2"}}),
            "list-type=2&prefix=a%20b%2Fc");
}

TEST(SigV4, UriEncodeKeepsOnlyUnreservedCharacters) {
  EXPECT_EQ(UriEncode("-._~AZaz09", false), "-._~AZaz09");
  EXPECT_EQ(UriEncode("a/b+c=d&e", false), "a%2Fb%2Bc%3Dd%26e");
  EXPECT_EQ(UriEncode("a/b+c", true), "a/b%2Bc");
}

TEST(SigV4, AmzDateIsUtcBasicFormat) {
  EXPECT_EQ(AmzDate(1440938160), "20150830T123600Z");
  EXPECT_EQ(AmzDate(1369353600), "20130524T000000Z");
}

}  // namespace
}  // namespace lifeboat::storage::s3
