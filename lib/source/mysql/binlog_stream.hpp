#pragma once
// A replication connection: logs in with MariaDB Connector/C, registers as a
// replica, asks for the binlog from a file+position or a GTID set, and hands
// out raw events. Decoding is BinlogDecoder's job; reconnecting is
// BinlogSource's. https://mariadb.com/kb/en/com_binlog_dump/
//
// After the handshake the dump is driven on the connection's socket directly:
// Connector/C has no public call for COM_BINLOG_DUMP_GTID or for reading
// packets without parsing them, and reading the socket ourselves keeps the
// event bytes untouched. So the connection must not use compression.
//
// TLS: when the login negotiated TLS, the packets go through Connector/C's
// own OpenSSL session (SSL_read/SSL_write on it) instead of read/write on
// the socket. Connector/C's replication API (mariadb_rpl_open/fetch) was the
// other way, but in libmariadb 3.3 it cannot send MySQL's
// COM_BINLOG_DUMP_GTID, registers no replica, parses every event (and checks
// checksums itself), and blocks in its own reads, so WaitForData could not
// tell whether bytes are waiting. Its packet reader (mysql_net_read_packet)
// buffers ahead out of sight likewise. With the session in hand, our buffer
// stays the only one besides OpenSSL's, which SSL_has_pending reports.
//
// Not thread-safe.

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/binlog_position.hpp"
#include "core/status.hpp"
#include "net/mysql_client.hpp"

struct ssl_st;

namespace dbsync::mysql {

struct StreamOptions {
  uint32_t server_id = 0;             // ours, unique among the source's replicas
  int heartbeat_seconds = 5;          // the source sends a heartbeat when idle this long
  int read_timeout_seconds = 30;      // no bytes at all for this long: the connection is dead
};

struct BinlogFileInfo {
  std::string name;
  uint64_t size = 0;
};

class BinlogStream {
 public:
  // Connects and starts the dump at `start`: by GTID when `use_gtid` (MariaDB
  // "0-1-42" or MySQL "uuid:1-5"), else at start.file:start.offset. A start
  // file the source no longer has is kFailedPrecondition naming the oldest one.
  static Result<BinlogStream> Open(const Endpoint& endpoint, const StreamOptions& options,
                                   const BinlogPosition& start, bool use_gtid);

  // The next event (common header through checksum). Heartbeats are returned
  // like any other event. kUnavailable when the connection drops or times out;
  // a server-side error (e.g. purged binlog) is kFailedPrecondition.
  Result<std::vector<uint8_t>> NextEvent();
  // Whether an event has started to arrive within `timeout` (true at once
  // when bytes are already buffered), so a caller can flush while the source
  // is quiet instead of blocking in NextEvent until the next heartbeat.
  // kUnavailable when nothing at all came for read_timeout_seconds.
  Result<bool> WaitForData(std::chrono::milliseconds timeout);
  bool is_mariadb() const { return mariadb_; }
  // The server's id of this connection (for KILL: a closed dump lingers at
  // the server until its next heartbeat fails).
  unsigned long connection_id() { return mysql_thread_id(conn_.handle()); }
  // Whether events carry a CRC32 (binlog_checksum=CRC32). The stream's first
  // event, an artificial ROTATE, comes before any FORMAT_DESCRIPTION, so the
  // decoder must be told.
  bool checksum_crc32() const { return crc32_; }
  // Whether the stream is encrypted (the source.tls settings), and how.
  TlsState Tls() const { return conn_.Tls(); }
  // The binlog files the source has now (SHOW BINARY LOGS), oldest first.
  static Result<std::vector<BinlogFileInfo>> ListBinlogs(Connection& conn);

 private:
  BinlogStream(Connection conn, int fd, bool mariadb, int read_timeout_seconds)
      : conn_(std::move(conn)), fd_(fd), mariadb_(mariadb), read_timeout_ms_(read_timeout_seconds * 1000) {}
  Status SendCommand(uint8_t command, std::span<const uint8_t> payload);
  Result<std::vector<uint8_t>> ReadPacket();
  Status ReadExactly(uint8_t* out, size_t n);
  // Reads what the socket has (up to the buffer's size) into buffer_.
  Status Fill();
  // Reads into `out` (TLS or not); 0 bytes: nothing yet, try after poll.
  Result<size_t> ReadSome(uint8_t* out, size_t n);

  Connection conn_;
  int fd_ = -1;
  ssl_st* ssl_ = nullptr;  // Connector/C's TLS session, when the login negotiated one
  bool mariadb_ = false;
  int read_timeout_ms_ = 30000;
  bool crc32_ = false;
  BinlogPosition start_;  // for error messages
  bool use_gtid_ = false;
  // Socket reads go through this buffer: one read() brings many small events
  // instead of two system calls per packet.
  std::vector<uint8_t> buffer_;
  size_t buffer_begin_ = 0, buffer_end_ = 0;
  std::chrono::steady_clock::time_point last_data_ = std::chrono::steady_clock::now();
};

// COM_BINLOG_DUMP_GTID's encoding of a MySQL GTID set ("uuid:1-5:7,uuid2:1").
Result<std::vector<uint8_t>> EncodeMysqlGtidSet(const std::string& text);

}  // namespace dbsync::mysql
