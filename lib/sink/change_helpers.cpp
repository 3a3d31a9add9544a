#include "sink/change_helpers.hpp"

#include <algorithm>
#include <unordered_map>

namespace dbsync::sink {

std::vector<FinalImage> FinalImagePerKey(const TableChanges& tc) {
  std::vector<int> key_at;
  for (const auto& k : tc.table->key) key_at.push_back(tc.table->source.ColumnIndex(k));
  auto key_of = [&](const std::vector<Value>& row) {
    std::string key;
    for (int i : key_at) key += row[i].ToString() + '\x1f';
    return key;
  };
  std::vector<FinalImage> out;
  std::unordered_map<std::string, size_t> at;
  auto put = [&](FinalImage::Kind kind, const std::vector<Value>& row, std::string key) {
    auto [it, inserted] = at.try_emplace(key, out.size());
    if (inserted) {
      out.push_back({kind, &row, std::move(key)});
      return;
    }
    FinalImage& last = out[it->second];
    if (kind != FinalImage::kDelete) {
      bool deleted = last.kind == FinalImage::kDelete || last.kind == FinalImage::kReinsert;
      kind = deleted ? FinalImage::kReinsert : FinalImage::kUpsert;
    }
    last.kind = kind;
    last.row = &row;
  };
  for (const auto& change : tc.rows) {
    switch (change.op) {
      case RowChange::Op::kInsert:
        put(FinalImage::kInsert, change.after, key_of(change.after));
        break;
      case RowChange::Op::kUpdate: {
        std::string before = key_of(change.before), after = key_of(change.after);
        if (before != after) put(FinalImage::kDelete, change.before, std::move(before));
        put(FinalImage::kUpsert, change.after, std::move(after));
        break;
      }
      case RowChange::Op::kDelete:
        put(FinalImage::kDelete, change.before, key_of(change.before));
        break;
    }
  }
  return out;
}

std::vector<std::pair<int, const std::vector<Value>*>> LastImagePerKey(const TableChanges& tc) {
  std::vector<std::pair<int, const std::vector<Value>*>> out;
  for (const auto& image : FinalImagePerKey(tc)) out.push_back({image.kind == FinalImage::kDelete ? 1 : 0, image.row});
  return out;
}

std::vector<ConflictRouter::Routed> ConflictRouter::Route(const TableChanges& changes) {
  auto& whole_keys = whole_keys_[changes.table->SourceName()];
  std::vector<Routed> out;
  for (auto& image : FinalImagePerKey(changes)) {
    using Kind = FinalImage;
    bool whole = image.kind == Kind::kDelete || image.kind == Kind::kReinsert || whole_keys.count(image.key);
    if (whole) whole_keys.insert(std::move(image.key));
    out.push_back({whole, image.kind == Kind::kDelete ? 1 : 0, !whole && image.kind == Kind::kInsert, image.row});
  }
  return out;
}

bool IsKeyColumn(const TableBinding& t, const std::string& column) {
  return std::find(t.key.begin(), t.key.end(), column) != t.key.end();
}

Status RefuseOnExistingTable(const SchemaChangeStep& step) {
  return Status::FailedPrecondition("source DDL " + std::string(SchemaChangeKindName(step.change.kind)) + " on " +
                                    step.change.db + "." + step.change.table + " would alter " +
                                    step.table->dest_schema + "." + step.table->dest_table +
                                    ", which has mode: existing and is never altered; make the change there by hand "
                                    "(an added, dropped or renamed column is then recognised), then restart the task");
}

}  // namespace dbsync::sink
