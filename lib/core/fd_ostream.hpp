#pragma once
// An ostream over a file descriptor with a large buffer of its own. std::cout
// stays synchronised with C stdio, which costs an fwrite per `<<`; bulk
// output (sync binlog dump prints millions of lines) goes through this.

#include <unistd.h>

#include <cerrno>
#include <ostream>
#include <streambuf>
#include <vector>

namespace dbsync {

class FdStreamBuf : public std::streambuf {
 public:
  explicit FdStreamBuf(int fd, size_t size = 1 << 20) : fd_(fd), buffer_(size) {
    setp(buffer_.data(), buffer_.data() + buffer_.size());
  }
  ~FdStreamBuf() override { sync(); }

 protected:
  int_type overflow(int_type ch) override {
    if (sync() != 0) return traits_type::eof();
    if (!traits_type::eq_int_type(ch, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(ch);
      pbump(1);
    }
    return traits_type::not_eof(ch);
  }
  int sync() override {
    const char* p = pbase();
    while (p < pptr()) {
      ssize_t n = ::write(fd_, p, size_t(pptr() - p));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return -1;  // e.g. EPIPE: `sync binlog dump | head`
      p += n;
    }
    setp(buffer_.data(), buffer_.data() + buffer_.size());
    return 0;
  }

 private:
  int fd_;
  std::vector<char> buffer_;
};

class FdOstream : public std::ostream {
 public:
  explicit FdOstream(int fd) : std::ostream(nullptr), buf_(fd) { rdbuf(&buf_); }

 private:
  FdStreamBuf buf_;
};

}  // namespace dbsync
