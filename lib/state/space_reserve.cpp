#include "state/space_reserve.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "core/atomic_file.hpp"

namespace dbsync::state {

Status ReserveSpace(const std::string& path, uint64_t bytes) {
  struct stat st;
  // st_blocks counts 512-byte units actually allocated (a sparse file has none).
  if (::stat(path.c_str(), &st) == 0 && uint64_t(st.st_blocks) * 512 >= bytes) return Status::Ok();
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return FileError(errno, "cannot set aside room in", path);
  // posix_fallocate returns the error instead of setting errno.
  int error = ::posix_fallocate(fd, 0, off_t(bytes));
  if (error == 0 && ::fsync(fd) != 0) error = errno;
  ::close(fd);
  if (error == 0) return Status::Ok();
  ::unlink(path.c_str());
  return FileError(error, "cannot set aside " + std::to_string(bytes >> 10) + " KiB for the task's last words in",
                   path);
}

void ReleaseSpace(const std::string& path) { ::unlink(path.c_str()); }

}  // namespace dbsync::state
