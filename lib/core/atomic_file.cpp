#include "core/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace dbsync {
namespace {

// What errno `error` means for a file we write: its cause in words, the fix
// (empty where the cause says it) and the status code.
struct FileErrorText {
  StatusCode code;
  std::string cause, fix;
};

FileErrorText Explain(int error) {
  const std::string reason = std::strerror(error);
  switch (error) {
    case ENOSPC:
      return {StatusCode::kStorageFault, "the file system holding it is full (" + reason + ")", "free space on it"};
    case EDQUOT:
      return {StatusCode::kStorageFault, "the disk quota on the file system holding it is used up (" + reason + ")",
              "free space or raise the quota"};
    case EROFS:
      return {StatusCode::kStorageFault, "the file system holding it is read-only (" + reason + ")",
              "remount it read-write (a kernel remounts a file system read-only after errors: see dmesg)"};
    case EIO:
      return {StatusCode::kStorageFault, "the disk or file system holding it failed (" + reason + ")",
              "check the disk (dmesg), or move the state to a healthy one (--home, SYNC_HOME)"};
    case EACCES:
    case EPERM: return {StatusCode::kPermissionDenied, reason, ""};
    case ENOENT: return {StatusCode::kNotFound, reason, ""};
    default: return {StatusCode::kIOError, reason, ""};
  }
}

Status Compose(int error, const std::string& what, const std::string& path, const std::string& aftermath = "") {
  FileErrorText text = Explain(error);
  std::string msg = what + " " + path + ": " + text.cause;
  if (!aftermath.empty()) msg += "; " + aftermath;
  if (!text.fix.empty()) msg += "; " + text.fix;
  return Status(text.code, msg);
}

Status Errno(const std::string& what, const std::string& path) { return Compose(errno, what, path); }

// A name no other writer of `path` uses at the same time: two threads of one
// process may write the same file (the reporter and a command's update).
std::string TempName(const std::string& path) {
  static std::atomic<unsigned> counter{0};
  return path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
}

// Writes all of `content` to `fd`: the step that failed (errno says why), or nullptr.
const char* WriteAll(int fd, const std::string& content) {
  const char* data = content.data();
  size_t left = content.size();
  while (left > 0) {
    ssize_t n = ::write(fd, data, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return "cannot write";
    }
    data += n;
    left -= size_t(n);
  }
  return nullptr;
}

// WriteAll, then fsync.
const char* WriteAndSync(int fd, const std::string& content) {
  if (const char* failed = WriteAll(fd, content)) return failed;
  return ::fsync(fd) == 0 ? nullptr : "cannot flush (fsync)";
}

std::string DirectoryOf(const std::string& path) {
  std::filesystem::path p(path);
  return p.has_parent_path() ? p.parent_path().string() : ".";
}

}  // namespace

Status FileError(int error, const std::string& what, const std::string& path) {
  return Compose(error, what, path);
}

Status SyncDirectory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Errno("cannot open directory", dir);
  int rc = ::fsync(fd);
  int error = errno;
  ::close(fd);
  if (rc != 0) return Compose(error, "cannot fsync directory", dir);
  return Status::Ok();
}

Status WriteFileAtomically(const std::string& path, const std::string& content, unsigned mode) {
  const std::string dir = DirectoryOf(path);
  const std::string tmp = TempName(path);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return Compose(errno, "cannot write", path, "the previous content is unchanged");
  ::fchmod(fd, mode);  // the umask must not narrow a file meant for others
  const char* failed = WriteAndSync(fd, content);
  int error = errno;
  // close() reports a write the file system deferred (NFS, a full quota).
  if (::close(fd) != 0 && !failed) {
    failed = "cannot write";
    error = errno;
  }
  if (!failed && ::rename(tmp.c_str(), path.c_str()) != 0) {
    failed = "cannot replace";
    error = errno;
  }
  if (failed) {
    ::unlink(tmp.c_str());
    return Compose(error, failed, path, "the previous content is unchanged");
  }
  const char* in_place = "the new content is in place but may not survive a crash";
  int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return Compose(errno, "cannot fsync the directory holding", path, in_place);
  const bool synced = ::fsync(dir_fd) == 0;
  error = errno;
  ::close(dir_fd);
  if (!synced) return Compose(error, "cannot fsync the directory holding", path, in_place);
  return Status::Ok();
}

Status WriteFilesAtomically(const std::vector<std::pair<std::string, std::string>>& files, unsigned mode) {
  const std::string unchanged = "the previous content is unchanged";
  std::vector<std::string> temps;
  auto abandon = [&](int error, const char* what, const std::string& path) {
    for (const auto& tmp : temps) ::unlink(tmp.c_str());
    return Compose(error, what, path, unchanged);
  };
  // Written first, flushed after: the file system can write them out together.
  for (const auto& [path, content] : files) {
    std::string tmp = TempName(path);
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) return abandon(errno, "cannot write", path);
    temps.push_back(tmp);
    ::fchmod(fd, mode);
    const char* failed = WriteAll(fd, content);
    int error = errno;
    if (::close(fd) != 0 && !failed) {
      failed = "cannot write";
      error = errno;
    }
    if (failed) return abandon(error, failed, path);
  }
  for (size_t i = 0; i < files.size(); ++i) {
    int fd = ::open(temps[i].c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return abandon(errno, "cannot flush (fsync)", files[i].first);
    const bool synced = ::fsync(fd) == 0;
    int error = errno;
    ::close(fd);
    if (!synced) return abandon(error, "cannot flush (fsync)", files[i].first);
  }
  std::vector<std::string> dirs;
  for (size_t i = 0; i < files.size(); ++i) {
    if (::rename(temps[i].c_str(), files[i].first.c_str()) != 0) {
      int error = errno;
      for (size_t j = i; j < temps.size(); ++j) ::unlink(temps[j].c_str());
      return Compose(error, "cannot replace", files[i].first,
                     i ? "it and the files after it are unchanged, those before it have their new content"
                       : unchanged);
    }
    std::string dir = DirectoryOf(files[i].first);
    if (std::find(dirs.begin(), dirs.end(), dir) == dirs.end()) dirs.push_back(dir);
  }
  for (const auto& dir : dirs) {
    Status s = SyncDirectory(dir);
    if (!s.ok())
      return s.WithContext("the new files are in place but may not survive a crash");
  }
  return Status::Ok();
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Errno("cannot read", path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Status MakeDirs(const std::string& path, unsigned mode) {
  std::filesystem::path p(path);
  std::filesystem::path built;
  for (const auto& part : p) {
    built /= part;
    if (built.string().empty() || built == "/") continue;
    if (::mkdir(built.c_str(), mode) != 0 && errno != EEXIST) return Errno("cannot create directory", built);
  }
  if (::chmod(path.c_str(), mode) != 0) return Errno("cannot set permissions on", path);
  return Status::Ok();
}

}  // namespace dbsync
