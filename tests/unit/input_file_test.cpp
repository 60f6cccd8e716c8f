// Reading user input files (only regular files, size-capped, UTF-8 checked), the diagnostics cap, and
// atomic writes that leave the old file whole when the new one cannot be written.
#include "support/input_file.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace xpusim {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "xpusim-input-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  fs::path operator/(const std::string& name) const { return path_ / name; }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

void write(const fs::path& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string error_of(const Expected<std::string>& r) { return r.ok() ? "(read)" : r.error().to_string(); }

TEST(ReadInputFile, ReadsARegularFileWhole) {
  TempDir dir;
  write(dir / "a.yaml", "kind: chip\n");
  Expected<std::string> r = read_input_file(dir / "a.yaml", 100, "a.yaml", "spec file");
  ASSERT_TRUE(r.ok()) << error_of(r);
  EXPECT_EQ(*r, "kind: chip\n");
}

TEST(ReadInputFile, RefusesAFifoWithoutWaitingForAWriter) {
  TempDir dir;
  ASSERT_EQ(mkfifo((dir / "pipe.yaml").c_str(), 0600), 0);
  // Before the fix this open() blocked forever: no writer ever comes.
  EXPECT_EQ(error_of(read_input_file(dir / "pipe.yaml", 100, "pipe.yaml", "spec file")),
            "pipe.yaml: error: is a FIFO, not a regular file: a spec file must be one");
}

TEST(ReadInputFile, RefusesAnEndlessDevice) {
  EXPECT_EQ(error_of(read_input_file("/dev/zero", 100, "/dev/zero", "cases file")),
            "/dev/zero: error: is a character device, not a regular file: a cases file must be one");
}

TEST(ReadInputFile, RefusesADirectoryAndAMissingFile) {
  TempDir dir;
  EXPECT_EQ(error_of(read_input_file(dir.path(), 100, "d", "spec file")),
            "d: error: is a directory, not a regular file: a spec file must be one");
  EXPECT_EQ(error_of(read_input_file(dir / "none.yaml", 100, "none.yaml", "spec file")),
            "none.yaml: error: cannot open the spec file: No such file or directory");
}

TEST(ReadInputFile, StopsAtTheCap) {
  TempDir dir;
  write(dir / "big.yaml", std::string(1025, 'x'));
  write(dir / "fits.yaml", std::string(1024, 'x'));
  EXPECT_EQ(error_of(read_input_file(dir / "big.yaml", 1024, "big.yaml", "spec file")),
            "big.yaml: error: is larger than 1 KiB: not a spec file (the limit keeps memory bounded)");
  EXPECT_TRUE(read_input_file(dir / "fits.yaml", 1024, "fits.yaml", "spec file").ok());
}

std::string text_error(std::string_view text) {
  Diagnostics d;
  return check_utf8_text(text, "f.yaml", d) ? "(ok)" : d.to_text();
}

TEST(CheckUtf8Text, NamesTheFirstBadByteAndUtf16) {
  EXPECT_EQ(text_error("a: caf\xc3\xa9\n"), "(ok)");
  EXPECT_EQ(text_error("a: 1\nb: caf\xe9\n"), "f.yaml:2:7: error: invalid UTF-8: not a YAML text file");
}

TEST(CheckUtf8Text, NulAndUtf16WithoutAByteOrderMark) {
  EXPECT_EQ(text_error(std::string_view("a: 1\nb: x\0y\n", 12)),
            "f.yaml:2:5: error: the file contains a NUL byte: not a YAML text file");
  const std::string utf16le("k\0i\0n\0d\0:\0 \0c\0h\0i\0p\0", 20);
  EXPECT_EQ(text_error(utf16le), "f.yaml:1:1: error: the file is UTF-16 text (save it as UTF-8)");
  EXPECT_EQ(text_error("\xff\xfek\0"), "f.yaml:1:1: error: the file is UTF-16 text (save it as UTF-8)");
}

TEST(Diagnostics, KeepsAThousandCountsAllAndShowsFifty) {
  Diagnostics d;
  for (int i = 0; i < 5000; ++i) d.error({"f.yaml", i + 1, 1}, "", "bad");
  d.warning({}, "", "odd");
  EXPECT_EQ(d.items().size(), 1000u);
  EXPECT_EQ(d.error_count(), 5000u);
  EXPECT_EQ(d.warning_count(), 1u);
  EXPECT_EQ(d.dropped_count(), 4001u);
  const std::string text = d.to_text("xpusim: ");
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 50);
  EXPECT_TRUE(text.starts_with("xpusim: f.yaml:1:1: error: bad\n"));
  EXPECT_TRUE(text.ends_with("\nxpusim: 4951 more problems not shown (5000 errors, 1 warning in all)")) << text;
  Diagnostics merged;
  merged.append(d);
  EXPECT_EQ(merged.error_count(), 5000u);
  EXPECT_EQ(merged.warning_count(), 1u);
  EXPECT_TRUE(merged.has_errors());
}

TEST(WriteFileAtomically, ReplacesTheFileAndLeavesNoTemporary) {
  TempDir dir;
  write(dir / "r.html", "old");
  std::string error;
  ASSERT_TRUE(write_file_atomically(dir / "r.html", "new contents", error)) << error;
  EXPECT_EQ(read(dir / "r.html"), "new contents");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1);
}

TEST(WriteFileAtomically, AFailedWriteLeavesTheOldFileWhole) {
  TempDir dir;
  write(dir / "r.html", "the old report");
  // A full disk, as the child sees it: writes past 4 KiB fail with EFBIG.
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    signal(SIGXFSZ, SIG_IGN);
    rlimit limit{4096, 4096};
    setrlimit(RLIMIT_FSIZE, &limit);
    std::string error;
    const bool ok = write_file_atomically(dir / "r.html", std::string(1 << 20, 'x'), error);
    _exit(!ok && error == "File too large" ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_EQ(read(dir / "r.html"), "the old report");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1);
}

TEST(WriteFileAtomically, SaysWhyWhenTheFolderIsMissing) {
  TempDir dir;
  std::string error;
  EXPECT_FALSE(write_file_atomically(dir / "no-such-folder" / "r.html", "x", error));
  EXPECT_EQ(error, "No such file or directory");
}

}  // namespace
}  // namespace xpusim
