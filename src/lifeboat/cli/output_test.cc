#include "lifeboat/cli/output.h"

#include <gtest/gtest.h>

#include "lifeboat/engine/backup.h"
#include "lifeboat/repo/tree.h"

namespace lifeboat::cli {
namespace {

TEST(FormatBytes, UsesBinaryUnitsWithThreeDigits) {
  EXPECT_EQ(FormatBytes(0), "0 B");
  EXPECT_EQ(FormatBytes(1023), "1023 B");
  EXPECT_EQ(FormatBytes(1536), "1.50 KiB");
  EXPECT_EQ(FormatBytes(100 * 1024 * 1024), "100 MiB");
  EXPECT_EQ(FormatBytes(uint64_t{5} << 40), "5.00 TiB");
}

TEST(FormatDuration, ShowsHoursOnlyWhenNeeded) {
  EXPECT_EQ(FormatDuration(0), "0:00");
  EXPECT_EQ(FormatDuration(7.9), "0:07");
  EXPECT_EQ(FormatDuration(754), "12:34");
  EXPECT_EQ(FormatDuration(3723), "1:02:03");
  EXPECT_EQ(FormatDuration(-1), "0:00");
}

TEST(TextTable, PadsColumnsAndRulesTheHeader) {
  TextTable table({"ID", "Host"});
  table.AddRow({"1a2b3c4d", "h"});
  EXPECT_EQ(table.Render(),
            "ID        Host\n"
            "--------------\n"
            "1a2b3c4d  h\n");
}

TEST(FormatMode, ShowsTypeAndSpecialBitsLikeLs) {
  repo::Node node;
  node.type = repo::NodeType::kDirectory;
  node.mode = 01777;
  EXPECT_EQ(FormatMode(node), "drwxrwxrwt");
  node.type = repo::NodeType::kFile;
  node.mode = 04644;
  EXPECT_EQ(FormatMode(node), "-rwSr--r--");
  node.mode = 0755;
  EXPECT_EQ(FormatMode(node), "-rwxr-xr-x");
}

TEST(FormatBackupProgress, ShowsShareAndEtaOnceTotalsAreKnown) {
  engine::BackupProgress progress;
  progress.files_done = 10;
  progress.bytes_done = 100 << 20;
  EXPECT_EQ(FormatBackupProgress(progress, 10), "[0:10] 10 files, 100 MiB, 10.0 MiB/s");
  progress.files_total = 40;
  progress.bytes_total = 400 << 20;
  progress.scan_done = true;
  EXPECT_EQ(FormatBackupProgress(progress, 10),
            "[0:10] 10 of 40 files, 100 MiB of 400 MiB (25%), 10.0 MiB/s, ETA 0:30");
  progress.errors = 2;
  EXPECT_EQ(FormatBackupProgress(progress, 10),
            "[0:10] 10 of 40 files, 100 MiB of 400 MiB (25%), 10.0 MiB/s, ETA 0:30, 2 errors");
}

TEST(ProgressLine, DisabledLineStartsNoThreadAndNeverRenders) {
  bool rendered = false;
  {
    ProgressLine line(false, [&](double) {
      rendered = true;
      return std::string();
    });
  }
  EXPECT_FALSE(rendered);
}

}  // namespace
}  // namespace lifeboat::cli
