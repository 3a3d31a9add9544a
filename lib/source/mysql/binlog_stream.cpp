#include "source/mysql/binlog_stream.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

// MYSQL's pvio and its TLS container (installed headers of Connector/C),
// where the connection's OpenSSL session is: see binlog_stream.hpp.
#ifndef HAVE_TLS
#define HAVE_TLS 1
#endif
typedef unsigned char uchar;  // ma_tls.h, included first, uses what ma_pvio.h declares
#include <ma_pvio.h>

#include "core/text_util.hpp"

namespace dbsync::mysql {
namespace {

constexpr uint8_t kComBinlogDump = 0x12;
constexpr uint8_t kComRegisterSlave = 0x15;
constexpr uint8_t kComBinlogDumpGtid = 0x1e;
constexpr uint32_t kMaxPacket = 0xFFFFFF;

void PutUint(std::vector<uint8_t>& out, uint64_t v, size_t width) {
  for (size_t i = 0; i < width; ++i) out.push_back(uint8_t(v >> (8 * i)));
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Status ServerError(const std::vector<uint8_t>& packet, const BinlogPosition& start, bool use_gtid) {
  uint16_t code = packet.size() >= 3 ? uint16_t(packet[1] | packet[2] << 8) : 0;
  size_t msg_at = packet.size() > 9 && packet[3] == '#' ? 9 : 3;
  std::string msg(packet.begin() + long(std::min(msg_at, packet.size())), packet.end());
  std::string where = use_gtid ? "GTID " + start.gtid_set : start.ToString();
  if (code == 1236) {  // ER_MASTER_FATAL_ERROR_READING_BINLOG: purged or unknown start
    return Status::FailedPrecondition("the source cannot send its binlog from " + where + ": " + msg +
                                      "; the changes since then are gone (binlog purged?): start the task again "
                                      "with a new full initialization, and keep binlogs longer");
  }
  return Status::FailedPrecondition("the source ended the binlog stream (error " + std::to_string(code) + "): " + msg);
}

// The OpenSSL session Connector/C negotiated at the login, or nullptr.
ssl_st* ConnectorTlsSession(MYSQL* m) {
  if (mysql_get_ssl_cipher(m) == nullptr || m->net.pvio == nullptr || m->net.pvio->ctls == nullptr) return nullptr;
  return static_cast<ssl_st*>(m->net.pvio->ctls->ssl);
}

std::string OpenSslErrorText() {
  unsigned long e = ERR_peek_last_error();
  if (e == 0) return errno != 0 ? std::strerror(errno) : "connection reset";
  char text[256];
  ERR_error_string_n(e, text, sizeof(text));
  return text;
}

// Waits for the socket to be readable (or writable); false on timeout.
Result<bool> PollSocket(int fd, short events, int timeout_ms) {
  while (true) {
    struct pollfd p = {fd, events, 0};
    int rc = ::poll(&p, 1, timeout_ms);
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0) return Status::Unavailable(std::string("waiting for the source: ") + std::strerror(errno));
    return rc > 0;
  }
}

}  // namespace

Result<std::vector<uint8_t>> EncodeMysqlGtidSet(const std::string& text) {
  std::vector<uint8_t> out;
  std::vector<std::string> sids;
  size_t start = 0;
  std::string clean;
  for (char c : text)
    if (!isspace(static_cast<unsigned char>(c))) clean += c;
  while (start < clean.size()) {
    size_t comma = clean.find(',', start);
    sids.push_back(clean.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  PutUint(out, sids.size(), 8);
  for (const auto& sid : sids) {
    size_t colon = sid.find(':');
    std::string uuid = sid.substr(0, colon);
    std::string hex;
    for (char c : uuid)
      if (c != '-') hex += c;
    if (hex.size() != 32 || colon == std::string::npos)
      return Status::InvalidArgument("invalid GTID set '" + text + "': expected uuid:N[-M][:N[-M]...]");
    for (size_t i = 0; i < 32; i += 2) {
      int hi = HexDigit(hex[i]), lo = HexDigit(hex[i + 1]);
      if (hi < 0 || lo < 0) return Status::InvalidArgument("invalid GTID set '" + text + "': bad uuid " + uuid);
      out.push_back(uint8_t(hi << 4 | lo));
    }
    std::vector<std::pair<int64_t, int64_t>> intervals;
    size_t p = colon + 1;
    while (p <= sid.size()) {
      size_t next = sid.find(':', p);
      std::string iv = sid.substr(p, next == std::string::npos ? std::string::npos : next - p);
      size_t dash = iv.find('-');
      char* end = nullptr;
      int64_t a = std::strtoll(iv.c_str(), &end, 10);
      int64_t b = dash == std::string::npos ? a : std::strtoll(iv.c_str() + dash + 1, nullptr, 10);
      if (iv.empty() || a <= 0 || b < a)
        return Status::InvalidArgument("invalid GTID set '" + text + "': bad interval '" + iv + "'");
      intervals.push_back({a, b + 1});  // the wire format is end-exclusive
      if (next == std::string::npos) break;
      p = next + 1;
    }
    PutUint(out, intervals.size(), 8);
    for (const auto& [a, b] : intervals) {
      PutUint(out, uint64_t(a), 8);
      PutUint(out, uint64_t(b), 8);
    }
  }
  return out;
}

Result<std::vector<BinlogFileInfo>> BinlogStream::ListBinlogs(Connection& conn) {
  SYNC_ASSIGN_OR_RETURN(auto r, conn.Query("SHOW BINARY LOGS"));
  std::vector<BinlogFileInfo> out;
  for (const auto& row : r.rows) out.push_back({row[0].value_or(""), std::strtoull(row[1].value_or("0").c_str(), nullptr, 10)});
  return out;
}

Result<BinlogStream> BinlogStream::Open(const Endpoint& endpoint, const StreamOptions& options,
                                        const BinlogPosition& start, bool use_gtid) {
  Endpoint ep = endpoint;
  ep.read_timeout_seconds = options.read_timeout_seconds;
  SYNC_ASSIGN_OR_RETURN(Connection conn, Connection::Connect(ep));
  bool mariadb = conn.IsMariaDB();

  if (!use_gtid) {
    SYNC_ASSIGN_OR_RETURN(auto files, ListBinlogs(conn));
    bool found = false;
    for (const auto& f : files) found = found || f.name == start.file;
    if (!found) {
      std::string oldest = files.empty() ? "none" : files.front().name + ":4";
      return Status::FailedPrecondition("binlog " + start.ToString() + " is no longer on the source (purged); the "
                                        "oldest available position is " + oldest +
                                        ". Changes in between are lost to the binlog: start again with a new full "
                                        "initialization, and keep binlogs longer (binlog_expire_logs_seconds)");
    }
  }
  // Ask for events with the checksum the source writes (it refuses replicas that cannot
  // handle it), heartbeats when idle, and MariaDB's GTID events.
  SYNC_RETURN_IF_ERROR(conn.Execute("SET @master_binlog_checksum = @@global.binlog_checksum"));
  SYNC_ASSIGN_OR_RETURN(auto checksum, conn.Query("SELECT @@global.binlog_checksum"));
  SYNC_RETURN_IF_ERROR(conn.Execute("SET @master_heartbeat_period = " +
                                    std::to_string(uint64_t(options.heartbeat_seconds) * 1000000000ull)));
  if (mariadb) {
    SYNC_RETURN_IF_ERROR(conn.Execute("SET @mariadb_slave_capability = 4"));
    if (use_gtid) {
      SYNC_RETURN_IF_ERROR(conn.Execute("SET @slave_connect_state = " + QuoteString(start.gtid_set)));
      SYNC_RETURN_IF_ERROR(conn.Execute("SET @slave_gtid_strict_mode = 0"));
      SYNC_RETURN_IF_ERROR(conn.Execute("SET @slave_gtid_ignore_duplicates = 0"));
    }
  }
  int fd = mysql_get_socket(conn.handle());
  ssl_st* ssl = ConnectorTlsSession(conn.handle());
  BinlogStream stream(std::move(conn), fd, mariadb, options.read_timeout_seconds);
  stream.conn_.CloseWithoutWaiting();  // its dump thread reads no COM_QUIT
  stream.ssl_ = ssl;

  // Registering makes us visible in SHOW SLAVE HOSTS, so a second task with
  // the same server_id is caught by `sync check`.
  std::vector<uint8_t> reg;
  PutUint(reg, options.server_id, 4);
  reg.push_back(0);  // hostname
  reg.push_back(0);  // user
  reg.push_back(0);  // password
  PutUint(reg, 0, 2);
  PutUint(reg, 0, 4);
  PutUint(reg, 0, 4);
  SYNC_RETURN_IF_ERROR(stream.SendCommand(kComRegisterSlave, reg));
  SYNC_ASSIGN_OR_RETURN(auto ok, stream.ReadPacket());
  if (!ok.empty() && ok[0] == 0xFF) return ServerError(ok, start, use_gtid);

  std::vector<uint8_t> dump;
  if (use_gtid && !mariadb) {
    SYNC_ASSIGN_OR_RETURN(auto gtids, EncodeMysqlGtidSet(start.gtid_set));
    PutUint(dump, 0x04, 2);  // BINLOG_THROUGH_GTID
    PutUint(dump, options.server_id, 4);
    PutUint(dump, 0, 4);     // empty file name
    PutUint(dump, 4, 8);
    PutUint(dump, gtids.size(), 4);
    dump.insert(dump.end(), gtids.begin(), gtids.end());
    SYNC_RETURN_IF_ERROR(stream.SendCommand(kComBinlogDumpGtid, dump));
  } else {
    // MariaDB's GTID start is the @slave_connect_state set above with an empty file name.
    PutUint(dump, use_gtid ? 4 : start.offset, 4);
    PutUint(dump, 0, 2);
    PutUint(dump, options.server_id, 4);
    if (!use_gtid) dump.insert(dump.end(), start.file.begin(), start.file.end());
    SYNC_RETURN_IF_ERROR(stream.SendCommand(kComBinlogDump, dump));
  }
  stream.crc32_ = ToLower(checksum.Scalar()) == "crc32";
  stream.start_ = start;
  stream.use_gtid_ = use_gtid;
  return stream;
}

Status BinlogStream::SendCommand(uint8_t command, std::span<const uint8_t> payload) {
  std::vector<uint8_t> packet;
  PutUint(packet, payload.size() + 1, 3);
  packet.push_back(0);  // sequence id: a command starts a new exchange
  packet.push_back(command);
  packet.insert(packet.end(), payload.begin(), payload.end());
  size_t sent = 0;
  while (sent < packet.size()) {
    short wait_for = POLLOUT;
    if (ssl_ != nullptr) {
      ERR_clear_error();
      // Without partial writes, SSL_write sends all or nothing; a retry repeats the same call.
      int n = SSL_write(ssl_, packet.data() + sent, int(std::min<size_t>(packet.size() - sent, INT_MAX)));
      if (n > 0) {
        sent += size_t(n);
        continue;
      }
      int err = SSL_get_error(ssl_, n);
      if (err != SSL_ERROR_WANT_WRITE && err != SSL_ERROR_WANT_READ)
        return Status::Unavailable("cannot send to the source over TLS: " + OpenSslErrorText());
      if (err == SSL_ERROR_WANT_READ) wait_for = POLLIN;
    } else {
      ssize_t n = ::write(fd_, packet.data() + sent, packet.size() - sent);
      if (n > 0) {
        sent += size_t(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
        return Status::Unavailable(std::string("cannot send to the source: ") + std::strerror(errno));
    }
    SYNC_ASSIGN_OR_RETURN(bool ready, PollSocket(fd_, wait_for, read_timeout_ms_));
    if (!ready) return Status::Unavailable("cannot send to the source: no progress for " +
                                           std::to_string(read_timeout_ms_ / 1000) + " s");
  }
  return Status::Ok();
}

Result<size_t> BinlogStream::ReadSome(uint8_t* out, size_t n) {
  if (ssl_ == nullptr) {
    ssize_t r = ::read(fd_, out, n);
    if (r < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) return size_t{0};
    if (r <= 0) return Status::Unavailable("the source closed the replication connection");
    return size_t(r);
  }
  ERR_clear_error();
  errno = 0;
  int r = SSL_read(ssl_, out, int(std::min<size_t>(n, INT_MAX)));
  if (r > 0) return size_t(r);
  int err = SSL_get_error(ssl_, r);
  // A TLS record not complete yet, or one without data (a session ticket).
  if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return size_t{0};
  if (err == SSL_ERROR_SYSCALL && errno == EINTR) return size_t{0};
  if (err == SSL_ERROR_ZERO_RETURN || (err == SSL_ERROR_SYSCALL && ERR_peek_last_error() == 0))
    return Status::Unavailable("the source closed the replication connection");
  return Status::Unavailable("the replication connection's TLS session failed: " + OpenSslErrorText());
}

Status BinlogStream::Fill() {
  constexpr size_t kBufferSize = 256 * 1024;
  if (buffer_.size() != kBufferSize) buffer_.resize(kBufferSize);
  buffer_begin_ = buffer_end_ = 0;
  while (true) {
    // OpenSSL may hold decrypted bytes the socket no longer shows.
    if (ssl_ == nullptr || SSL_has_pending(ssl_) == 0) {
      SYNC_ASSIGN_OR_RETURN(bool ready, PollSocket(fd_, POLLIN, read_timeout_ms_));
      if (!ready)
        return Status::Unavailable("no data from the source for " + std::to_string(read_timeout_ms_ / 1000) +
                                   " s, not even a heartbeat; reconnecting");
    }
    SYNC_ASSIGN_OR_RETURN(size_t got, ReadSome(buffer_.data(), buffer_.size()));
    if (got == 0) continue;
    buffer_end_ = got;
    last_data_ = std::chrono::steady_clock::now();
    return Status::Ok();
  }
}

Status BinlogStream::ReadExactly(uint8_t* out, size_t n) {
  while (n > 0) {
    if (buffer_begin_ == buffer_end_) SYNC_RETURN_IF_ERROR(Fill());
    const size_t take = std::min(n, buffer_end_ - buffer_begin_);
    std::memcpy(out, buffer_.data() + buffer_begin_, take);
    buffer_begin_ += take;
    out += take;
    n -= take;
  }
  return Status::Ok();
}

Result<bool> BinlogStream::WaitForData(std::chrono::milliseconds timeout) {
  if (buffer_begin_ < buffer_end_) return true;
  if (ssl_ != nullptr && SSL_has_pending(ssl_) != 0) return true;
  SYNC_ASSIGN_OR_RETURN(bool ready, PollSocket(fd_, POLLIN, int(std::max<int64_t>(0, timeout.count()))));
  if (ready) return true;
  if (std::chrono::steady_clock::now() - last_data_ > std::chrono::milliseconds(read_timeout_ms_))
    return Status::Unavailable("no data from the source for " + std::to_string(read_timeout_ms_ / 1000) +
                               " s, not even a heartbeat; reconnecting");
  return false;
}

Result<std::vector<uint8_t>> BinlogStream::ReadPacket() {
  std::vector<uint8_t> payload;
  while (true) {
    uint8_t header[4];
    SYNC_RETURN_IF_ERROR(ReadExactly(header, 4));
    size_t len = size_t(header[0]) | size_t(header[1]) << 8 | size_t(header[2]) << 16;
    size_t at = payload.size();
    payload.resize(at + len);
    SYNC_RETURN_IF_ERROR(ReadExactly(payload.data() + at, len));
    if (len < kMaxPacket) return payload;  // a full-size packet continues in the next one
  }
}

Result<std::vector<uint8_t>> BinlogStream::NextEvent() {
  SYNC_ASSIGN_OR_RETURN(auto packet, ReadPacket());
  if (packet.empty()) return Status::Corruption("empty packet in the binlog stream");
  if (packet[0] == 0xFF) return ServerError(packet, start_, use_gtid_);
  if (packet[0] == 0xFE && packet.size() < 9) return Status::Unavailable("the source ended the binlog stream");
  packet.erase(packet.begin());  // the OK byte in front of every event
  return packet;
}

}  // namespace dbsync::mysql
