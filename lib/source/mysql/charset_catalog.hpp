#pragma once
// Character sets and collations of a MySQL/MariaDB server: collation name ->
// id and charset, charset -> default collation and bytes per character.
//
// DDL names charsets and collations; the binlog and information_schema use
// numeric collation ids (63 = binary). The mapping is per server: utf8mb4's
// default collation is utf8mb4_general_ci on MariaDB 10.x and
// utf8mb4_0900_ai_ci on MySQL 8, and `utf8` means utf8mb3 on MariaDB >= 10.6
// and MySQL >= 8.0.30 but is spelled `utf8` by older servers. Builtin() holds
// the common ones; Load() reads the server's own tables and should be
// preferred whenever a connection is available.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "core/status.hpp"
#include "net/mysql_client.hpp"

namespace dbsync::mysql {

class CharsetCatalog {
 public:
  // The common charsets and collations with MariaDB 10.x defaults; with
  // `mysql8_defaults` utf8mb4 defaults to utf8mb4_0900_ai_ci (id 255).
  static CharsetCatalog Builtin(bool mysql8_defaults = false);
  // Every charset and collation the server knows, from information_schema
  // CHARACTER_SETS and COLLATIONS (the defaults are the server's, also when
  // it was configured with character_set_collations or a MySQL 8 default).
  static Result<CharsetCatalog> Load(Connection& conn);

  // Adds or replaces a collation; `is_default` makes it its charset's default.
  void AddCollation(const std::string& name, const std::string& charset, uint16_t id, bool is_default);
  void AddCharset(const std::string& name, const std::string& default_collation, int max_bytes_per_char);

  // The server's spelling of a charset name ("utf8" -> "utf8mb3" where the
  // server knows utf8mb3; "utf8mb3" -> "utf8" where it only knows utf8), or
  // "" when unknown. Names are case-insensitive.
  std::string Charset(std::string_view name) const;
  // Same for collations ("utf8_bin" <-> "utf8mb3_bin"); "" when unknown.
  std::string Collation(std::string_view name) const;
  // The default collation of a (canonical) charset; "" when unknown.
  std::string DefaultCollation(const std::string& charset) const;
  // The charset a (canonical) collation belongs to; "" when unknown.
  std::string CharsetOf(const std::string& collation) const;
  // The collation id, 0 when unknown or when the server reports none
  // (MariaDB 10.10+'s uca1400 collations have no id in information_schema).
  uint16_t CollationId(const std::string& collation) const;
  // Bytes per character (utf8mb4 4, latin1 1); 1 when unknown.
  int MaxBytesPerChar(const std::string& charset) const;

 private:
  struct CollationEntry {
    std::string charset;
    uint16_t id = 0;
  };
  struct CharsetEntry {
    std::string default_collation;
    int max_bytes_per_char = 1;
  };
  std::map<std::string, CollationEntry, std::less<>> collations_;
  std::map<std::string, CharsetEntry, std::less<>> charsets_;
};

}  // namespace dbsync::mysql
