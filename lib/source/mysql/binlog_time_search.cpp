#include "source/mysql/binlog_time_search.hpp"

#include <chrono>
#include <ctime>

#include "source/mysql/binlog/event_type.hpp"

namespace dbsync::mysql {
namespace {

using binlog::EventType;

constexpr size_t kHeaderSize = 19;
constexpr uint16_t kArtificialFlag = 0x20;  // LOG_EVENT_ARTIFICIAL_F: made up by the dump, not in the file
// Quiet this long at the end of the binlog as listed: nothing more is coming soon.
constexpr auto kQuietEnd = std::chrono::milliseconds(2000);

uint32_t Le32(const uint8_t* p) { return p[0] | p[1] << 8 | p[2] << 16 | uint32_t(p[3]) << 24; }

struct EventHeader {
  uint32_t timestamp = 0;
  EventType type = EventType::kUnknown;
  uint32_t size = 0;
  uint32_t end = 0;  // log_pos: where the event ends in its file
  uint16_t flags = 0;
};

Result<EventHeader> ParseHeader(const std::vector<uint8_t>& event) {
  if (event.size() < kHeaderSize) return Status::Corruption("a binlog event shorter than its header");
  EventHeader h;
  h.timestamp = Le32(&event[0]);
  h.type = EventType(event[4]);
  h.size = Le32(&event[9]);
  h.end = Le32(&event[13]);
  h.flags = uint16_t(event[17] | event[18] << 8);
  return h;
}

bool StartsTransaction(EventType type) {
  return type == EventType::kMariadbGtid || type == EventType::kGtid || type == EventType::kAnonymousGtid ||
         type == EventType::kGtidTagged;
}

std::string FormatUtc(int64_t t) {
  std::time_t tt = t;
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

class TimeSearch {
 public:
  TimeSearch(Connection& conn, const Endpoint& endpoint, const StreamOptions& options)
      : conn_(conn), endpoint_(endpoint), options_(options) {}

  // When `file` was opened: the time of its format description event.
  Result<int64_t> FileStartTime(const std::string& file) {
    SYNC_ASSIGN_OR_RETURN(auto stream, BinlogStream::Open(endpoint_, options_, {file, 4, ""}, false));
    EndDumpLater end(conn_, stream);
    for (int i = 0; i < 8; ++i) {
      SYNC_ASSIGN_OR_RETURN(auto event, stream.NextEvent());
      SYNC_ASSIGN_OR_RETURN(EventHeader h, ParseHeader(event));
      if (h.type == EventType::kFormatDescription) return int64_t(h.timestamp);
    }
    return Status::Corruption("binlog " + file + " does not begin with a format description event");
  }

  // The first transaction at or after `t`, reading from file:4 up to `end`.
  Result<BinlogPosition> Scan(const std::string& file, int64_t t, const BinlogFileInfo& end) {
    SYNC_ASSIGN_OR_RETURN(auto stream, BinlogStream::Open(endpoint_, options_, {file, 4, ""}, false));
    EndDumpLater end_dump(conn_, stream);
    BinlogPosition at{file, 4, ""};
    bool saw_transaction = false;
    while (!(at.file == end.name && at.offset >= end.size)) {
      SYNC_ASSIGN_OR_RETURN(bool ready, stream.WaitForData(kQuietEnd));
      if (!ready) break;
      SYNC_ASSIGN_OR_RETURN(auto event, stream.NextEvent());
      SYNC_ASSIGN_OR_RETURN(EventHeader h, ParseHeader(event));
      if (h.type == EventType::kRotate) {
        // Post-header: the next file's position (8 bytes), then its name (and the checksum, if any).
        size_t tail = stream.checksum_crc32() ? 4 : 0;
        if (event.size() < kHeaderSize + 8 + tail) return Status::Corruption("a short ROTATE event");
        at.file.assign(event.begin() + kHeaderSize + 8, event.end() - tail);
        at.offset = 4;
        continue;
      }
      if (h.end == 0 || (h.flags & kArtificialFlag) || h.size > h.end) continue;  // not in the file
      at.offset = h.end;
      if (!StartsTransaction(h.type)) continue;
      saw_transaction = true;
      if (h.timestamp >= t) return BinlogPosition{at.file, h.end - h.size, ""};
    }
    if (!saw_transaction && at.offset > 4)
      return Status::FailedPrecondition("the source's binlog from " + file + " has no GTID events to mark where "
                                        "transactions begin; use --from-position FILE:POS instead");
    return at;  // after every transaction so far: from here on
  }

 private:
  // Ends a dump at the server when the search is done with it: otherwise it
  // would linger as a replica with the task's server_id until its next
  // heartbeat, and the task's own start would find that id taken.
  class EndDumpLater {
   public:
    EndDumpLater(Connection& conn, BinlogStream& stream) : conn_(conn), id_(stream.connection_id()) {}
    ~EndDumpLater() { (void)conn_.Execute("KILL CONNECTION " + std::to_string(id_)); }

   private:
    Connection& conn_;
    unsigned long id_;
  };

  Connection& conn_;
  const Endpoint& endpoint_;
  const StreamOptions& options_;
};

}  // namespace

Result<BinlogPosition> FindBinlogPositionAtTime(const Endpoint& endpoint, const StreamOptions& options,
                                                int64_t epoch_seconds) {
  SYNC_ASSIGN_OR_RETURN(auto conn, Connection::Connect(endpoint));
  SYNC_ASSIGN_OR_RETURN(auto now, conn.Query("SELECT UNIX_TIMESTAMP()"));
  int64_t source_now = std::strtoll(now.Scalar().c_str(), nullptr, 10);
  if (epoch_seconds > source_now)
    return Status::InvalidArgument(FormatUtc(epoch_seconds) + " is still to come on the source's clock (it is " +
                                   FormatUtc(source_now) + " there)");
  SYNC_ASSIGN_OR_RETURN(auto files, BinlogStream::ListBinlogs(conn));
  if (files.empty()) return Status::FailedPrecondition("the source lists no binary logs (is log_bin on?)");
  TimeSearch search(conn, endpoint, options);
  SYNC_ASSIGN_OR_RETURN(int64_t oldest_start, search.FileStartTime(files.front().name));
  if (oldest_start > epoch_seconds)
    return Status::FailedPrecondition("the binlog of " + FormatUtc(epoch_seconds) + " is purged from the source: its "
                                      "oldest binary log, " + files.front().name + ", begins at " +
                                      FormatUtc(oldest_start) + ". Start from then or later, or copy the tables "
                                      "(full initialization)");
  // The last file opened before the time holds its first transaction (or a
  // later file does). Before, not at: times are whole seconds, so a file
  // opened in that second may follow transactions of the same second.
  size_t lo = 0, hi = files.size() - 1;
  while (lo < hi) {
    size_t mid = (lo + hi + 1) / 2;
    SYNC_ASSIGN_OR_RETURN(int64_t start, search.FileStartTime(files[mid].name));
    if (start < epoch_seconds) lo = mid;
    else hi = mid - 1;
  }
  return search.Scan(files[lo].name, epoch_seconds, files.back());
}

}  // namespace dbsync::mysql
