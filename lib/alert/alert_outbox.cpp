#include "alert/alert_outbox.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "core/atomic_file.hpp"
#include "state/task_store.hpp"

namespace dbsync::alert {

Status Raise(const std::string& outbox, AlertEvent event) {
  if (event.at.empty()) event.at = state::NowIso8601();
  const std::string line = event.ToJson().dump() + "\n";
  int fd = ::open(outbox.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return FileError(errno, "cannot open the alert outbox", outbox);
  // A line cut short by a full disk ends where the next one begins: start on
  // a line of its own, so that only the cut one is lost, not this one too.
  struct stat st;
  char last = '\n';
  if (::fstat(fd, &st) == 0 && st.st_size > 0 && ::pread(fd, &last, 1, st.st_size - 1) != 1) last = '\n';
  const std::string text = last == '\n' ? line : "\n" + line;
  ssize_t n = ::write(fd, text.data(), text.size());
  const int error = n < 0 ? errno : ENOSPC;  // a short write: the disk filled up
  ::close(fd);
  if (n != ssize_t(text.size())) return FileError(error, "cannot write the alert outbox", outbox);
  return Status::Ok();
}

OutboxReader::OutboxReader(std::string path) : path_(std::move(path)) {
  struct stat st;
  if (::stat(path_.c_str(), &st) == 0) offset_ = size_t(st.st_size);
}

namespace {

// The whole lines of `path` after `offset`, which moves past them (a torn
// last line waits until it is whole); `size` gets the file's size.
std::vector<AlertEvent> ReadLines(const std::string& path, size_t& offset, size_t& size) {
  std::vector<AlertEvent> out;
  size = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) return out;
  in.seekg(0, std::ios::end);
  size = size_t(in.tellg());
  if (size < offset) offset = 0;  // emptied since
  if (size == offset) return out;
  in.seekg(std::streamoff(offset));
  std::string text(size - offset, '\0');
  in.read(text.data(), std::streamsize(text.size()));
  size_t start = 0;
  for (size_t nl = text.find('\n'); nl != std::string::npos; nl = text.find('\n', start)) {
    auto j = nlohmann::json::parse(text.substr(start, nl - start), nullptr, false);
    if (j.is_object()) out.push_back(AlertEvent::FromJson(j));
    start = nl + 1;
  }
  offset += start;
  return out;
}

}  // namespace

std::vector<AlertEvent> OutboxReader::ReadNew() {
  size_t size = 0;
  std::vector<AlertEvent> out = ReadLines(path_, offset_, size);
  if (offset_ < kOutboxMaxBytes || offset_ != size) return out;
  // Renamed, not truncated: a line appended meanwhile lands in the old file,
  // read once more here; the worker opens the path afresh for each event.
  const std::string old = path_ + ".1";
  if (::rename(path_.c_str(), old.c_str()) != 0) return out;
  auto late = ReadLines(old, offset_, size);
  out.insert(out.end(), late.begin(), late.end());
  offset_ = 0;
  return out;
}

}  // namespace dbsync::alert
