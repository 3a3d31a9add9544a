#include "source/mysql/binlog_position_search.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <map>
#include <memory>
#include <optional>

#include "core/text_util.hpp"
#include "source/mysql/binlog/binlog_decoder.hpp"
#include "source/mysql/binlog/event_type.hpp"

namespace dbsync::mysql {
namespace {

using binlog::EventType;

// Quiet this long at the end of the binlog as listed: nothing more is coming soon.
constexpr auto kQuietEnd = std::chrono::milliseconds(2000);
constexpr int kHeadEvents = 8;  // a file's opening events come within this many

bool StartsTransaction(EventType type) {
  return type == EventType::kMariadbGtid || type == EventType::kGtid || type == EventType::kAnonymousGtid ||
         type == EventType::kGtidTagged;
}

// Only these are decoded: the others need no more than their header.
bool NeedsDecoding(EventType type) {
  return StartsTransaction(type) || type == EventType::kRotate || type == EventType::kFormatDescription ||
         type == EventType::kMariadbGtidList || type == EventType::kPreviousGtids;
}

std::string FormatUtc(int64_t t) { return FormatUtcTime(t, "%Y-%m-%d %H:%M:%S UTC"); }

// What a binlog file begins with: when it was opened, and which transactions
// came before it (MariaDB's GTID list, MySQL's previous GTIDs).
struct FileHead {
  int64_t opened_at = 0;
  std::optional<binlog::MariadbGtidListEvent> mariadb_before;
  std::optional<binlog::PreviousGtidsEvent> mysql_before;
};

// What the search looks for. Over the files in order, StartsBefore is true
// for a first run of them and false after; over the transactions of the
// binlog, Reached is false, then true from the target on.
class Target {
 public:
  virtual ~Target() = default;
  // Whether every transaction before the file precedes the target.
  virtual Result<bool> StartsBefore(const FileHead& head) const = 0;
  // Whether the transaction that `gtid` (a GTID event) begins is the target or after it.
  virtual Result<bool> Reached(const binlog::BinlogEvent& gtid) const = 0;
  // Why the oldest file the source has (`head`, named `file`) is too late.
  virtual std::string Purged(const FileHead& head, const std::string& file) const = 0;
};

class TimeTarget : public Target {
 public:
  explicit TimeTarget(int64_t t) : t_(t) {}
  // Before, not at: times are whole seconds, so a file opened in that second
  // may follow transactions of the same second.
  Result<bool> StartsBefore(const FileHead& head) const override { return head.opened_at < t_; }
  Result<bool> Reached(const binlog::BinlogEvent& gtid) const override { return int64_t(gtid.header.timestamp) >= t_; }
  std::string Purged(const FileHead& head, const std::string& file) const override {
    return "the binlog of " + FormatUtc(t_) + " is purged from the source: its oldest binary log, " + file +
           ", begins at " + FormatUtc(head.opened_at) + ". Start from then or later, or copy the tables (full "
           "initialization)";
  }

 private:
  int64_t t_;
};

// MariaDB: per domain, the transactions after the set's sequence number.
class MariadbGtidTarget : public Target {
 public:
  static Result<std::unique_ptr<MariadbGtidTarget>> Parse(const std::string& text) {
    auto target = std::make_unique<MariadbGtidTarget>();
    target->text_ = text;
    for (const auto& item : Split(text, ',')) {
      std::string gtid = Trim(item);
      unsigned long long domain = 0, server = 0, seq = 0;
      int used = 0;
      if (std::sscanf(gtid.c_str(), "%llu-%llu-%llu%n", &domain, &server, &seq, &used) != 3 ||
          size_t(used) != gtid.size() || domain > UINT32_MAX || server > UINT32_MAX ||
          target->seq_.count(uint32_t(domain)))
        return Status::InvalidArgument("'" + gtid + "' is not a MariaDB GTID (domain-server-sequence, one per domain)");
      target->seq_[uint32_t(domain)] = seq;
    }
    return target;
  }
  Result<bool> StartsBefore(const FileHead& head) const override {
    if (!head.mariadb_before) return Status::FailedPrecondition("a binary log without a GTID list: not MariaDB's");
    for (const auto& g : head.mariadb_before->gtids)
      if (!Contains(g.domain_id, g.sequence)) return false;
    return true;
  }
  Result<bool> Reached(const binlog::BinlogEvent& event) const override {
    const auto* gtid = event.get_if<binlog::MariadbGtidEvent>();
    if (!gtid) return Status::FailedPrecondition("a MySQL GTID event in a MariaDB binlog");
    return !Contains(gtid->gtid.domain_id, gtid->gtid.sequence);
  }
  std::string Purged(const FileHead& head, const std::string& file) const override {
    std::vector<std::string> before;
    if (head.mariadb_before)
      for (const auto& g : head.mariadb_before->gtids) before.push_back(g.ToString());
    return "transactions that GTID set " + text_ + " lacks are purged from the source: its oldest binary log, " +
           file + ", follows " + (before.empty() ? "nothing" : Join(before, ",")) +
           ". Copy the tables (full initialization) instead";
  }

 private:
  bool Contains(uint32_t domain, uint64_t seq) const {
    auto it = seq_.find(domain);
    return it != seq_.end() && seq <= it->second;
  }
  std::string text_;
  std::map<uint32_t, uint64_t> seq_;
};

// MySQL: the transactions the set does not contain.
class MysqlGtidTarget : public Target {
 public:
  static Result<std::unique_ptr<MysqlGtidTarget>> Parse(const std::string& text) {
    auto target = std::make_unique<MysqlGtidTarget>();
    target->text_ = text;
    for (const auto& item : Split(text, ',')) {
      std::vector<std::string> parts = Split(Trim(item), ':');
      if (parts.size() < 2 || parts[0].size() != 36)
        return Status::InvalidArgument("'" + Trim(item) + "' is not a MySQL GTID set entry (uuid:1-77[:80...])");
      std::string sid = ToLower(parts[0]);
      std::string tag;
      for (size_t i = 1; i < parts.size(); ++i) {
        long long lo = 0, hi = 0;
        int used = 0;
        const std::string& p = parts[i];
        if (std::sscanf(p.c_str(), "%lld-%lld%n", &lo, &hi, &used) == 2 && size_t(used) == p.size() && lo <= hi) {
        } else if (std::sscanf(p.c_str(), "%lld%n", &lo, &used) == 1 && size_t(used) == p.size()) {
          hi = lo;
        } else if (!p.empty() && !std::isdigit(static_cast<unsigned char>(p[0]))) {
          tag = ToLower(p);  // MySQL 8.3+: the intervals after a tag are that tag's
          continue;
        } else {
          return Status::InvalidArgument("'" + p + "' in '" + Trim(item) + "' is not an interval (1-77 or 80)");
        }
        target->intervals_[Key(sid, tag)].push_back({lo, hi});
      }
    }
    // Sorted and coalesced, so a run of transactions is in the set when one interval covers it.
    for (auto& [key, list] : target->intervals_) {
      std::sort(list.begin(), list.end());
      std::vector<std::pair<int64_t, int64_t>> merged;
      for (const auto& in : list) {
        if (!merged.empty() && in.first <= merged.back().second + 1) merged.back().second = std::max(merged.back().second, in.second);
        else merged.push_back(in);
      }
      list = std::move(merged);
    }
    return target;
  }
  Result<bool> StartsBefore(const FileHead& head) const override {
    if (!head.mysql_before) return Status::FailedPrecondition("a binary log without previous GTIDs: not MySQL's");
    for (const auto& set : head.mysql_before->sets)
      for (const auto& in : set.intervals)  // end-exclusive on disk
        if (in.end > in.start && !Contains(Key(binlog::UuidToString(set.sid), set.tag), in.start, in.end - 1))
          return false;
    return true;
  }
  Result<bool> Reached(const binlog::BinlogEvent& event) const override {
    const auto* gtid = event.get_if<binlog::GtidEvent>();
    if (!gtid) return Status::FailedPrecondition("a MariaDB GTID event in a MySQL binlog");
    if (gtid->anonymous)
      return Status::FailedPrecondition("the source writes anonymous transactions (gtid_mode is not ON), which a GTID "
                                        "set cannot name; use --from-position or --from-time");
    return !Contains(Key(binlog::UuidToString(gtid->sid), ToLower(gtid->tag)), gtid->gno, gtid->gno);
  }
  std::string Purged(const FileHead& head, const std::string& file) const override {
    return "transactions that GTID set " + text_ + " lacks are purged from the source: its oldest binary log, " +
           file + ", follows " + (head.mysql_before ? head.mysql_before->ToString() : "nothing") +
           ". Copy the tables (full initialization) instead";
  }

 private:
  static std::string Key(const std::string& sid, const std::string& tag) { return ToLower(sid) + ":" + tag; }
  // Whether the set has every transaction first..last of `key`.
  bool Contains(const std::string& key, int64_t first, int64_t last) const {
    auto it = intervals_.find(key);
    if (it == intervals_.end()) return false;
    return std::any_of(it->second.begin(), it->second.end(),
                       [&](const std::pair<int64_t, int64_t>& in) { return in.first <= first && last <= in.second; });
  }
  std::string text_;
  std::map<std::string, std::vector<std::pair<int64_t, int64_t>>> intervals_;  // inclusive, sorted, coalesced
};

// Reads files over replication connections with the task's server_id.
class PositionSearch {
 public:
  PositionSearch(Connection& conn, const Endpoint& endpoint, const StreamOptions& options)
      : conn_(conn), endpoint_(endpoint), options_(options) {}

  Result<BinlogPosition> Find(const Target& target, const std::vector<BinlogFileInfo>& files) {
    SYNC_ASSIGN_OR_RETURN(FileHead oldest, Head(files.front().name));
    SYNC_ASSIGN_OR_RETURN(bool covered, target.StartsBefore(oldest));
    if (!covered) return Status::FailedPrecondition(target.Purged(oldest, files.front().name));
    // The last file that starts before the target holds its first transaction (or a later file does).
    size_t lo = 0, hi = files.size() - 1;
    while (lo < hi) {
      size_t mid = (lo + hi + 1) / 2;
      SYNC_ASSIGN_OR_RETURN(FileHead head, Head(files[mid].name));
      SYNC_ASSIGN_OR_RETURN(bool before, target.StartsBefore(head));
      if (before) lo = mid;
      else hi = mid - 1;
    }
    return Scan(files[lo].name, target, files.back());
  }

 private:
  // Ends a dump at the server when the search is done with it: otherwise it
  // would linger as a replica with the task's server_id until its next
  // heartbeat, and the task's own start would find that id taken.
  class Dump {
   public:
    static Result<std::unique_ptr<Dump>> Open(PositionSearch& search, const std::string& file) {
      SYNC_ASSIGN_OR_RETURN(auto stream, BinlogStream::Open(search.endpoint_, search.options_, {file, 4, ""}, false));
      return std::unique_ptr<Dump>(new Dump(search.conn_, std::move(stream)));
    }
    ~Dump() { (void)conn_.Execute("KILL CONNECTION " + std::to_string(id_)); }
    // The next event, decoded when the search needs more than its header.
    Result<binlog::BinlogEvent> Next() {
      SYNC_ASSIGN_OR_RETURN(auto raw, stream_.NextEvent());
      if (raw.size() < 19) return Status::Corruption("a binlog event shorter than its header");
      EventType type = EventType(raw[4]);
      uint32_t length = raw[9] | raw[10] << 8 | raw[11] << 16 | uint32_t(raw[12]) << 24;
      uint32_t next = raw[13] | raw[14] << 8 | raw[15] << 16 | uint32_t(raw[16]) << 24;
      uint64_t position = next >= length ? next - length : 0;
      if (NeedsDecoding(type)) return decoder_.Decode(raw, position);
      binlog::BinlogEvent header_only;
      header_only.header.type = type;
      header_only.header.event_length = length;
      header_only.header.next_position = next;
      header_only.header.flags = uint16_t(raw[17] | raw[18] << 8);
      header_only.header.position = position;
      return header_only;
    }
    Result<bool> WaitForData() { return stream_.WaitForData(kQuietEnd); }

   private:
    Dump(Connection& conn, BinlogStream stream)
        : conn_(conn), stream_(std::move(stream)), id_(stream_.connection_id()), decoder_(Options(stream_)) {}
    static binlog::DecoderOptions Options(const BinlogStream& stream) {
      binlog::DecoderOptions o;
      o.initial_checksum = stream.checksum_crc32() ? binlog::ChecksumAlgorithm::kCrc32 : binlog::ChecksumAlgorithm::kOff;
      return o;
    }
    Connection& conn_;
    BinlogStream stream_;
    unsigned long id_;
    binlog::BinlogDecoder decoder_;
  };

  static constexpr uint16_t kArtificialFlag = 0x20;  // LOG_EVENT_ARTIFICIAL_F: made up by the dump, not in the file

  Result<FileHead> Head(const std::string& file) {
    SYNC_ASSIGN_OR_RETURN(auto dump, Dump::Open(*this, file));
    FileHead head;
    bool opened = false;
    for (int i = 0; i < kHeadEvents; ++i) {
      SYNC_ASSIGN_OR_RETURN(auto event, dump->Next());
      if (const auto* fde = event.get_if<binlog::FormatDescriptionEvent>()) {
        head.opened_at = event.header.timestamp;
        opened = true;
        (void)fde;
      } else if (const auto* list = event.get_if<binlog::MariadbGtidListEvent>()) {
        head.mariadb_before = *list;
      } else if (const auto* previous = event.get_if<binlog::PreviousGtidsEvent>()) {
        head.mysql_before = *previous;
      } else if (opened && event.header.type != EventType::kBinlogCheckpoint &&
                 event.header.type != EventType::kRotate) {
        break;  // the opening events are over
      }
      if (opened && (head.mariadb_before || head.mysql_before)) break;
    }
    if (!opened) return Status::Corruption("binlog " + file + " does not begin with a format description event");
    return head;
  }

  // The first transaction the target reaches, reading from file:4 up to `end`.
  Result<BinlogPosition> Scan(const std::string& file, const Target& target, const BinlogFileInfo& end) {
    SYNC_ASSIGN_OR_RETURN(auto dump, Dump::Open(*this, file));
    BinlogPosition at{file, 4, ""};
    bool saw_transaction = false;
    while (!(at.file == end.name && at.offset >= end.size)) {
      SYNC_ASSIGN_OR_RETURN(bool ready, dump->WaitForData());
      if (!ready) break;
      SYNC_ASSIGN_OR_RETURN(auto event, dump->Next());
      const auto& h = event.header;
      if (const auto* rotate = event.get_if<binlog::RotateEvent>()) {
        at = {rotate->next_file, 4, ""};
        continue;
      }
      if (h.next_position == 0 || (h.flags & kArtificialFlag)) continue;  // not in the file
      at.offset = h.next_position;
      if (!StartsTransaction(h.type)) continue;
      saw_transaction = true;
      SYNC_ASSIGN_OR_RETURN(bool reached, target.Reached(event));
      if (reached) return BinlogPosition{at.file, h.position, ""};
    }
    if (!saw_transaction && at.offset > 4)
      return Status::FailedPrecondition("the source's binlog from " + file + " has no GTID events to mark where "
                                        "transactions begin; use --from-position FILE:POS instead");
    return at;  // after every transaction so far: from here on
  }

  Connection& conn_;
  const Endpoint& endpoint_;
  const StreamOptions& options_;
};

Result<std::vector<BinlogFileInfo>> ListFiles(Connection& conn) {
  SYNC_ASSIGN_OR_RETURN(auto files, BinlogStream::ListBinlogs(conn));
  if (files.empty()) return Status::FailedPrecondition("the source lists no binary logs (is log_bin on?)");
  return files;
}

}  // namespace

Result<BinlogPosition> FindBinlogPositionAtTime(const Endpoint& endpoint, const StreamOptions& options,
                                                int64_t epoch_seconds) {
  SYNC_ASSIGN_OR_RETURN(auto conn, Connection::Connect(endpoint));
  SYNC_ASSIGN_OR_RETURN(auto now, conn.Query("SELECT UNIX_TIMESTAMP()"));
  int64_t source_now = std::strtoll(now.Scalar().c_str(), nullptr, 10);
  if (epoch_seconds > source_now)
    return Status::InvalidArgument(FormatUtc(epoch_seconds) + " is still to come on the source's clock (it is " +
                                   FormatUtc(source_now) + " there)");
  SYNC_ASSIGN_OR_RETURN(auto files, ListFiles(conn));
  return PositionSearch(conn, endpoint, options).Find(TimeTarget(epoch_seconds), files);
}

Result<BinlogPosition> FindBinlogPositionAfterGtids(const Endpoint& endpoint, const StreamOptions& options,
                                                    const std::string& gtid_set) {
  SYNC_ASSIGN_OR_RETURN(auto conn, Connection::Connect(endpoint));
  std::unique_ptr<Target> target;
  if (conn.IsMariaDB()) {
    if (gtid_set.find(':') != std::string::npos)
      return Status::InvalidArgument("'" + gtid_set + "' is a MySQL GTID set, and the source is MariaDB "
                                     "(domain-server-sequence, e.g. 0-1-42)");
    SYNC_ASSIGN_OR_RETURN(target, MariadbGtidTarget::Parse(gtid_set));
  } else {
    SYNC_ASSIGN_OR_RETURN(target, MysqlGtidTarget::Parse(gtid_set));
  }
  SYNC_ASSIGN_OR_RETURN(auto files, ListFiles(conn));
  return PositionSearch(conn, endpoint, options).Find(*target, files);
}

}  // namespace dbsync::mysql
