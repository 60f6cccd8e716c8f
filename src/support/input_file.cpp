#include "support/input_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace xpusim {
namespace {

std::string file_type_name(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a plain file";
}

// "a spec file", "an assembly file".
std::string with_article(std::string_view noun) {
  const bool vowel = !noun.empty() && std::string_view("aeiou").find(noun.front()) != std::string_view::npos;
  return (vowel ? "an " : "a ") + std::string(noun);
}

std::string size_text(std::size_t bytes) {
  if (bytes >= (1u << 20) && bytes % (1u << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
  if (bytes >= (1u << 10) && bytes % (1u << 10) == 0) return std::to_string(bytes >> 10) + " KiB";
  return std::to_string(bytes) + " bytes";
}

// Closes a descriptor on every path out.
struct FileDescriptor {
  int fd = -1;
  ~FileDescriptor() {
    if (fd >= 0) ::close(fd);
  }
};

bool looks_like_utf16(std::string_view text) {
  // ASCII text in UTF-16 has a NUL in every other byte; look at the first few characters.
  const std::size_t n = std::min<std::size_t>(text.size() & ~std::size_t{1}, 64);
  if (n < 4) return false;
  int even_nul = 0, odd_nul = 0;
  for (std::size_t i = 0; i < n; ++i) (i % 2 == 0 ? even_nul : odd_nul) += text[i] == '\0';
  const int half = static_cast<int>(n / 2);
  return (even_nul == half && odd_nul < half / 4) || (odd_nul == half && even_nul < half / 4);
}

}  // namespace

Expected<std::string> read_input_file(const std::filesystem::path& path, std::size_t max_bytes,
                                      const std::string& label, std::string_view what) {
  auto fail = [&](std::string message) {
    Diagnostics d;
    d.error({label, 0, 0}, "", std::move(message));
    return Error(std::move(d));
  };
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer before fstat could refuse it.
  FileDescriptor file{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)};
  if (file.fd < 0) return fail("cannot open the " + std::string(what) + ": " + std::strerror(errno));
  struct stat info {};
  if (::fstat(file.fd, &info) != 0) return fail("cannot read the " + std::string(what) + ": " + std::strerror(errno));
  if (!S_ISREG(info.st_mode))
    return fail("is " + file_type_name(info.st_mode) + ", not a regular file: " + with_article(what) + " must be one");
  const std::string too_large =
      "is larger than " + size_text(max_bytes) + ": not " + with_article(what) + " (the limit keeps memory bounded)";
  if (static_cast<std::uintmax_t>(info.st_size) > max_bytes) return fail(too_large);
  // The size is read again as the file is read: it may grow in between.
  std::string text;
  text.reserve(static_cast<std::size_t>(info.st_size));
  std::vector<char> buffer(1 << 16);
  for (;;) {
    const ssize_t got = ::read(file.fd, buffer.data(), buffer.size());
    if (got < 0) {
      if (errno == EINTR) continue;
      return fail("cannot read the " + std::string(what) + ": " + std::strerror(errno));
    }
    if (got == 0) break;
    text.append(buffer.data(), static_cast<std::size_t>(got));
    if (text.size() > max_bytes) return fail(too_large);
  }
  return text;
}

std::size_t utf8_sequence_length(std::string_view s) {
  const auto byte = [&](std::size_t i) { return i < s.size() ? static_cast<unsigned char>(s[i]) : 0u; };
  const auto in = [](unsigned value, unsigned low, unsigned high) { return value >= low && value <= high; };
  const unsigned b0 = byte(0);
  if (b0 < 0x80) return 1;
  if (in(b0, 0xC2, 0xDF)) return in(byte(1), 0x80, 0xBF) ? 2 : 0;
  unsigned low = 0x80, high = 0xBF;
  if (b0 == 0xE0)
    low = 0xA0;  // no overlong forms
  else if (b0 == 0xED)
    high = 0x9F;  // no UTF-16 surrogates
  else if (b0 == 0xF0)
    low = 0x90;
  else if (b0 == 0xF4)
    high = 0x8F;  // nothing above U+10FFFF
  if (in(b0, 0xE0, 0xEF)) return in(byte(1), low, high) && in(byte(2), 0x80, 0xBF) ? 3 : 0;
  if (in(b0, 0xF0, 0xF4)) return in(byte(1), low, high) && in(byte(2), 0x80, 0xBF) && in(byte(3), 0x80, 0xBF) ? 4 : 0;
  return 0;
}

bool is_valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t length = utf8_sequence_length(s.substr(i));
    if (length == 0) return false;
    i += length;
  }
  return true;
}

bool check_utf8_text(std::string_view text, const std::string& file, Diagnostics& out) {
  if (text.starts_with("\xFF\xFE") || text.starts_with("\xFE\xFF") || looks_like_utf16(text)) {
    out.error({file, 1, 1}, "", "the file is UTF-16 text", "save it as UTF-8");
    return false;
  }
  int line = 1;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < text.size();) {
    const int column = static_cast<int>(i - line_start) + 1;
    if (text[i] == '\0') {
      out.error({file, line, column}, "", "the file contains a NUL byte: not a YAML text file");
      return false;
    }
    const std::size_t length = utf8_sequence_length(text.substr(i));
    if (length == 0) {
      out.error({file, line, column}, "", "invalid UTF-8: not a YAML text file");
      return false;
    }
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
    i += length;
  }
  return true;
}

bool write_file_atomically(const std::filesystem::path& path, std::string_view content, std::string& error) {
  const std::filesystem::path folder = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  std::string hidden_name = ".";
  hidden_name += path.filename().string();
  hidden_name += ".XXXXXX";
  std::string temporary = (folder / hidden_name).string();
  FileDescriptor file{::mkostemp(temporary.data(), O_CLOEXEC)};
  if (file.fd < 0) {
    error = std::strerror(errno);
    return false;
  }
  auto fail = [&](int code) {
    error = std::strerror(code);
    ::unlink(temporary.c_str());
    return false;
  };
  // mkstemp makes the file 0600; give it the mode a plain create would (0666 less the umask).
  const mode_t mask = ::umask(0);
  ::umask(mask);
  if (::fchmod(file.fd, 0666 & ~mask) != 0) return fail(errno);
  for (std::size_t done = 0; done < content.size();) {
    const ssize_t wrote = ::write(file.fd, content.data() + done, content.size() - done);
    if (wrote < 0) {
      if (errno == EINTR) continue;
      return fail(errno);
    }
    done += static_cast<std::size_t>(wrote);
  }
  if (::fsync(file.fd) != 0) return fail(errno);
  const int fd = file.fd;
  file.fd = -1;
  if (::close(fd) != 0) return fail(errno);
  if (::rename(temporary.c_str(), path.c_str()) != 0) return fail(errno);
  return true;
}

}  // namespace xpusim
