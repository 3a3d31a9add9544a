#include "source/mysql/binlog/binlog_dump.hpp"

#include <algorithm>
#include <ctime>
#include <nlohmann/json.hpp>
#include <ostream>

#include "core/text_util.hpp"
#include "source/mysql/binlog/binlog_file_reader.hpp"

namespace dbsync::binlog {
namespace {

template <typename... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <typename... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;  // clang < 17 lacks aggregate CTAD

std::string Quote(const std::string& name) { return "`" + name + "`"; }

std::string TableName(const TableMap& t) { return Quote(t.database) + "." + Quote(t.table); }

std::string ColumnKey(const TableMap& t, size_t i) {
  return t.columns[i].name.empty() ? "@" + std::to_string(i + 1) : t.columns[i].name;
}

std::string UtcStamp(uint32_t ts) { return FormatUtcTime(ts, "%y%m%d %H:%M:%S"); }

std::string XidText(const XaId& x) {
  return "X'" + x.gtrid + "',X'" + x.bqual + "'," + std::to_string(x.format_id);
}

std::string Summary(const BinlogEvent& e) {
  return std::visit(
      Overloaded{
          [](const UnknownEvent&) -> std::string { return "(not decoded; skipped)"; },
          [](const FormatDescriptionEvent& f) -> std::string {
            return "binlog v " + std::to_string(f.binlog_version) + ", server v " + f.server_version +
                   ", checksum " + (f.checksum == ChecksumAlgorithm::kCrc32 ? "CRC32" : "NONE");
          },
          [](const RotateEvent& r) { return "to " + r.next_file + " pos " + std::to_string(r.position); },
          [](const QueryEvent& q) {
            return "thread_id=" + std::to_string(q.thread_id) + " exec_time=" + std::to_string(q.exec_time) +
                   " error_code=" + std::to_string(q.error_code) + " db=" + Quote(q.database);
          },
          [](const XidEvent& x) { return "COMMIT /* xid=" + std::to_string(x.xid) + " */"; },
          [](const GtidEvent& g) {
            std::string s = "GTID_NEXT= '" + g.ToString() + "'";
            if (g.last_committed) {
              s += " last_committed=" + std::to_string(*g.last_committed) +
                   " sequence_number=" + std::to_string(*g.sequence_number);
            }
            return s;
          },
          [](const PreviousGtidsEvent& p) { return "[" + p.ToString() + "]"; },
          [](const XaPrepareEvent& x) { return std::string("XA PREPARE ") + XidText(x.xid); },
          [](const MariadbGtidEvent& g) {
            return "GTID " + g.gtid.ToString() + (g.standalone() ? " standalone" : " trans") +
                   (g.xid ? " xid " + XidText(*g.xid) : "");
          },
          [](const MariadbGtidListEvent& l) {
            std::string s = "[";
            for (size_t i = 0; i < l.gtids.size(); ++i) s += (i ? "," : "") + l.gtids[i].ToString();
            return s + "]";
          },
          [](const BinlogCheckpointEvent& c) { return "file " + c.file; },
          [](const RowsQueryEvent&) -> std::string { return ""; },
          [](const HeartbeatEvent& h) { return h.log_file + " pos " + std::to_string(h.position); },
          [](const IntvarEvent& i) {
            return std::string(i.kind == 1 ? "LAST_INSERT_ID" : "INSERT_ID") + "=" + std::to_string(i.value);
          },
          [](const IncidentEvent& i) { return "incident " + std::to_string(i.incident) + ": " + i.message; },
          [](const StopEvent&) -> std::string { return ""; },
          [](const TableMapEvent& t) {
            return TableName(*t.table) + " mapped to number " + std::to_string(t.table->table_id);
          },
          [](const RowsEvent& r) {
            return "table id " + std::to_string(r.table_id) + ((r.flags & 1) ? " flags: STMT_END_F" : "");
          },
          [](const TransactionPayloadEvent& p) {
            return std::string("compression ") + (p.compression == 0 ? "ZSTD" : "NONE") + ", " +
                   std::to_string(p.events.size()) + " events, " + std::to_string(p.uncompressed_size) +
                   " bytes uncompressed";
          },
      },
      e.body);
}

// `diffs`: the row whose after image this is, when its JSON diffs could not be
// applied; those columns print as mysqlbinlog does, JSON_REPLACE(@2, ...) unquoted.
void PrintImage(const std::vector<Value>& values, const std::vector<bool>& present, const RowChange* diffs,
                std::ostream& out) {
  // One write per image: stream insertion per fragment dominated the dump.
  std::string text;
  text.reserve(64 * values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    if (!present[i]) continue;
    bool raw = false;
    if (diffs) {
      for (const auto& [column, list] : diffs->json_diffs) {
        raw |= column == i && std::find(diffs->json_diffs_applied.begin(), diffs->json_diffs_applied.end(),
                                        column) == diffs->json_diffs_applied.end();
      }
    }
    text += "###   @";
    text += std::to_string(i + 1);
    text += '=';
    text += raw ? values[i].as<Json>().text : values[i].ToString();
    text += '\n';
  }
  out.write(text.data(), std::streamsize(text.size()));
}

void PrintRows(const RowsEvent& r, std::ostream& out) {
  const TableMap& t = *r.table;
  if (!r.full_image) {
    out << "# NOTE: partial row image (binlog_row_image is not FULL): columns absent from an image are "
           "not printed\n";
  }
  for (const RowChange& row : r.rows) {
    switch (r.kind) {
      case RowsKind::kInsert:
        out << "### INSERT INTO " << TableName(t) << "\n### SET\n";
        PrintImage(row.after, r.after_columns, nullptr, out);
        break;
      case RowsKind::kDelete:
        out << "### DELETE FROM " << TableName(t) << "\n### WHERE\n";
        PrintImage(row.before, r.before_columns, nullptr, out);
        break;
      case RowsKind::kUpdate:
        out << "### UPDATE " << TableName(t) << "\n### WHERE\n";
        PrintImage(row.before, r.before_columns, nullptr, out);
        out << "### SET\n";
        PrintImage(row.after, r.after_columns, &row, out);
        break;
    }
  }
}

nlohmann::json ImageJson(const TableMap& t, const std::vector<Value>& values, const std::vector<bool>& present) {
  nlohmann::json obj = nlohmann::json::object();
  for (size_t i = 0; i < values.size(); ++i)
    if (present[i]) obj[ColumnKey(t, i)] = values[i].ToJson();
  return obj;
}

nlohmann::json BodyJson(const BinlogEvent& e) {
  return std::visit(
      Overloaded{
          [](const UnknownEvent&) -> nlohmann::json { return {{"skipped", true}}; },
          [](const FormatDescriptionEvent& f) -> nlohmann::json {
            return {{"binlog_version", f.binlog_version},
                    {"server_version", f.server_version},
                    {"checksum", f.checksum == ChecksumAlgorithm::kCrc32 ? "CRC32" : "NONE"}};
          },
          [](const RotateEvent& r) -> nlohmann::json { return {{"next_file", r.next_file}, {"position", r.position}}; },
          [](const QueryEvent& q) -> nlohmann::json {
            return {{"thread_id", q.thread_id}, {"exec_time", q.exec_time}, {"error_code", q.error_code},
                    {"database", q.database}, {"query", q.query}};
          },
          [](const XidEvent& x) -> nlohmann::json { return {{"xid", x.xid}}; },
          [](const GtidEvent& g) -> nlohmann::json {
            nlohmann::json j = {{"gtid", g.ToString()}, {"flags", g.flags}};
            if (g.last_committed) j["last_committed"] = *g.last_committed;
            if (g.sequence_number) j["sequence_number"] = *g.sequence_number;
            if (g.immediate_commit_micros) j["immediate_commit_micros"] = *g.immediate_commit_micros;
            if (g.transaction_length) j["transaction_length"] = *g.transaction_length;
            return j;
          },
          [](const PreviousGtidsEvent& p) -> nlohmann::json { return {{"gtid_set", p.ToString()}}; },
          [](const XaPrepareEvent& x) -> nlohmann::json {
            return {{"one_phase", x.one_phase}, {"format_id", x.xid.format_id}, {"gtrid", x.xid.gtrid},
                    {"bqual", x.xid.bqual}};
          },
          [](const MariadbGtidEvent& g) -> nlohmann::json {
            nlohmann::json j = {{"gtid", g.gtid.ToString()}, {"flags", g.flags}, {"standalone", g.standalone()}};
            if (g.commit_id) j["commit_id"] = *g.commit_id;
            if (g.xid) j["xa"] = {{"format_id", g.xid->format_id}, {"gtrid", g.xid->gtrid}, {"bqual", g.xid->bqual}};
            return j;
          },
          [](const MariadbGtidListEvent& l) -> nlohmann::json {
            nlohmann::json list = nlohmann::json::array();
            for (const auto& g : l.gtids) list.push_back(g.ToString());
            return {{"gtid_list", list}};
          },
          [](const BinlogCheckpointEvent& c) -> nlohmann::json { return {{"file", c.file}}; },
          [](const RowsQueryEvent& q) -> nlohmann::json { return {{"query", q.query}}; },
          [](const HeartbeatEvent& h) -> nlohmann::json { return {{"log_file", h.log_file}, {"position", h.position}}; },
          [](const IntvarEvent& i) -> nlohmann::json { return {{"kind", i.kind}, {"value", i.value}}; },
          [](const IncidentEvent& i) -> nlohmann::json { return {{"incident", i.incident}, {"message", i.message}}; },
          [](const StopEvent&) -> nlohmann::json { return nlohmann::json::object(); },
          [](const TableMapEvent& t) -> nlohmann::json {
            nlohmann::json cols = nlohmann::json::array();
            for (const auto& c : t.table->columns) {
              nlohmann::json col = {{"type", ColumnTypeName(c.real_type)}, {"meta", c.meta}, {"nullable", c.nullable}};
              if (!c.name.empty()) col["name"] = c.name;
              if (c.is_unsigned) col["unsigned"] = *c.is_unsigned;
              if (c.collation) col["collation"] = c.collation;
              cols.push_back(col);
            }
            return {{"table_id", t.table->table_id}, {"database", t.table->database}, {"table", t.table->table},
                    {"columns", cols}, {"primary_key", t.table->primary_key}};
          },
          [](const RowsEvent& r) -> nlohmann::json {
            const TableMap& t = *r.table;
            nlohmann::json rows = nlohmann::json::array();
            for (const auto& row : r.rows) {
              nlohmann::json j = nlohmann::json::object();
              if (r.kind != RowsKind::kInsert) j["before"] = ImageJson(t, row.before, r.before_columns);
              if (r.kind != RowsKind::kDelete) j["after"] = ImageJson(t, row.after, r.after_columns);
              rows.push_back(std::move(j));
            }
            return {{"table_id", r.table_id}, {"database", t.database}, {"table", t.table},
                    {"kind", RowsKindName(r.kind)}, {"full_image", r.full_image}, {"rows", rows}};
          },
          [](const TransactionPayloadEvent& p) -> nlohmann::json {
            nlohmann::json events = nlohmann::json::array();
            for (const auto& inner : p.events) events.push_back(EventToJson(inner));
            return {{"compression", p.compression == 0 ? "ZSTD" : "NONE"},
                    {"uncompressed_size", p.uncompressed_size}, {"events", events}};
          },
      },
      e.body);
}

}  // namespace

void PrintEventText(const BinlogEvent& e, std::ostream& out) {
  const EventHeader& h = e.header;
  out << "#" << UtcStamp(h.timestamp) << " server id " << h.server_id << "  end_log_pos " << h.next_position
      << "  " << EventTypeName(h.type);
  std::string summary = Summary(e);
  if (!summary.empty()) out << ": " << summary;
  out << "\n";
  if (const auto* q = e.get_if<QueryEvent>()) out << q->query << "\n/*!*/;\n";
  if (const auto* q = e.get_if<RowsQueryEvent>()) out << "# " << q->query << "\n";
  if (const auto* r = e.get_if<RowsEvent>(); r && r->table) PrintRows(*r, out);
  if (const auto* p = e.get_if<TransactionPayloadEvent>()) {
    for (size_t i = 0; i < p->events.size(); ++i) {
      out << "# payload event " << (i + 1) << " of " << p->events.size() << "\n";
      PrintEventText(p->events[i], out);
    }
  }
}

nlohmann::json EventToJson(const BinlogEvent& e) {
  nlohmann::json j = {{"pos", e.header.position},          {"next_pos", e.header.next_position},
                      {"type", EventTypeName(e.header.type)}, {"timestamp", e.header.timestamp},
                      {"server_id", e.header.server_id}};
  j.update(BodyJson(e));
  return j;
}

Status DumpBinlogFile(const std::string& path, const DumpOptions& options, std::ostream& out) {
  SYNC_ASSIGN_OR_RETURN(auto reader, BinlogFileReader::Open(path));
  DecoderOptions dopts;
  dopts.verify_checksum = options.verify_checksum;
  dopts.source_name = path;
  BinlogDecoder decoder(dopts);
  RawEvent raw;
  bool first = true;
  while (true) {
    SYNC_ASSIGN_OR_RETURN(bool more, reader->Next(&raw));
    if (!more) break;
    if (options.stop_position && raw.position >= *options.stop_position) break;
    auto decoded = decoder.Decode(raw.bytes, raw.position);
    const bool text = options.format == DumpFormat::kText;
    if (!decoded.ok()) {
      if (decoded.status().code() != StatusCode::kNotFound) return decoded.status();
      // Rows whose TABLE_MAP lies before --start-position cannot be decoded.
      if (text) {
        out << "# at " << raw.position << "\n# " << decoded.status().message() << ": skipped\n";
      } else {
        out << nlohmann::json{{"pos", raw.position}, {"skipped", true}, {"reason", decoded.status().message()}}.dump()
            << "\n";
      }
      continue;
    }
    if (text) {
      out << "# at " << raw.position << "\n";
      PrintEventText(*decoded, out);
    } else {
      out << EventToJson(*decoded).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    }
    if (first && options.start_position > raw.position + raw.bytes.size()) {
      SYNC_RETURN_IF_ERROR(reader->Seek(options.start_position));
    }
    first = false;
  }
  if (!out) return Status::IOError("cannot write the dump output");
  return Status::Ok();
}

}  // namespace dbsync::binlog
