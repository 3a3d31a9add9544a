#pragma once
// A MaxCompute project's time zone (odps.sql.timezone), for turning MySQL
// DATETIME wall clocks into the instants MaxCompute stores.
//
// MaxCompute DATETIME is an instant (ms since the epoch) that SQL shows in the
// project's zone (specs/maxcompute.md 3.6 "Quirks", 5.1). A MySQL DATETIME is
// a wall clock without a zone. To make MaxCompute SQL show the same wall clock
// as MySQL, the encoder reads the wall clock in the project's zone.
//
// Why not the standard library: GCC 12's <chrono> has no time zone database
// (std::chrono::locate_zone arrives in GCC 13/14), and glibc only converts in
// the process-wide TZ, which a library must not change under other threads.
// So the zone is read here from the system's compiled tz database (TZif files,
// RFC 8536, package tzdata) including the POSIX TZ rule of its footer, which
// covers the years after the file's last transition.
//
// Thread-safe: a TimeZone is immutable; copies share their data.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.hpp"

namespace dbsync::maxcompute {

class TimeZone {
 public:
  // UTC.
  TimeZone();

  // Accepts what odps.sql.timezone holds:
  //  - "UTC", "GMT", "Z": UTC;
  //  - a fixed offset east of UTC: "+08:00", "-05:00", "+0530", "GMT+8", "UTC-3";
  //  - an IANA name ("Asia/Shanghai", "America/New_York"), read from
  //    $TZDIR or else /usr/share/zoneinfo.
  // kNotFound for an unknown name, kCorruption for an unreadable TZif file;
  // both name the zone and say what to do.
  static Result<TimeZone> Load(std::string_view name);

  // Parses TZif bytes (for tests and for zones shipped elsewhere); `name` is
  // only used in messages and name().
  static Result<TimeZone> FromTzif(std::string_view name, std::string_view tzif);

  const std::string& name() const;

  // Seconds east of UTC in effect at the instant `utc_seconds`.
  int32_t OffsetAt(int64_t utc_seconds) const;

  // The instant whose wall clock in this zone is `local_seconds` (a wall clock
  // counted in seconds since 1970-01-01 00:00:00 of that clock). A wall clock
  // that occurs twice (clocks turned back) gives the earlier instant; one that
  // does not occur (clocks turned forward) is read with the offset in effect
  // before the change, so it shows later by the size of the gap. These are
  // the defaults of java.time (ZonedDateTime.ofLocal; MaxCompute is written
  // in Java) and of Python (fold=0), which the emulator uses.
  int64_t LocalToUtc(int64_t local_seconds) const;

 private:
  struct Zone;  // transitions and footer rule, immutable, shared by copies
  explicit TimeZone(std::shared_ptr<const Zone> zone);

  std::shared_ptr<const Zone> zone_;
};

}  // namespace dbsync::maxcompute
