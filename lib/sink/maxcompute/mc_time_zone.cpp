#include "sink/maxcompute/mc_time_zone.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <vector>

#include "core/atomic_file.hpp"
#include "core/value.hpp"

namespace dbsync::maxcompute {
namespace {

constexpr int64_t kSecondsPerDay = 86400;

// RFC 8536 section 3.1: the counts that size a TZif data block.
struct TzifCounts {
  uint32_t isutcnt = 0, isstdcnt = 0, leapcnt = 0, timecnt = 0, typecnt = 0, charcnt = 0;

  size_t DataBytes(size_t time_bytes) const {
    return size_t(timecnt) * (time_bytes + 1) + size_t(typecnt) * 6 + charcnt + size_t(leapcnt) * (time_bytes + 4) +
           isstdcnt + isutcnt;
  }
};

constexpr size_t kTzifHeaderBytes = 44;

uint32_t BigEndian32(const char* p) {
  auto b = [p](int i) { return uint32_t(static_cast<unsigned char>(p[i])); };
  return b(0) << 24 | b(1) << 16 | b(2) << 8 | b(3);
}

int64_t BigEndianTime(const char* p, size_t time_bytes) {
  if (time_bytes == 4) return int32_t(BigEndian32(p));
  return int64_t(uint64_t(BigEndian32(p)) << 32 | BigEndian32(p + 4));
}

bool ReadCounts(std::string_view tzif, size_t at, TzifCounts* counts) {
  if (tzif.size() < at + kTzifHeaderBytes || tzif.substr(at, 4) != "TZif") return false;
  const char* p = tzif.data() + at + 20;
  *counts = {BigEndian32(p), BigEndian32(p + 4), BigEndian32(p + 8), BigEndian32(p + 12), BigEndian32(p + 16),
             BigEndian32(p + 20)};
  return counts->typecnt > 0 && tzif.size() >= at + kTzifHeaderBytes + counts->DataBytes(4);
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }

bool IsLeapYear(int64_t y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

// A cursor over a POSIX TZ string ("CST6CDT,M3.2.0,M11.1.0").
struct TzText {
  std::string_view s;
  size_t at = 0;

  bool Done() const { return at >= s.size(); }
  char Peek() const { return Done() ? '\0' : s[at]; }
  bool Take(char c) {
    if (Peek() != c) return false;
    ++at;
    return true;
  }
  bool Number(int* n) {
    size_t start = at;
    *n = 0;
    while (std::isdigit(static_cast<unsigned char>(Peek())) && at - start < 6) *n = *n * 10 + (s[at++] - '0');
    return at > start;
  }
  // "EST" or "<+08>".
  bool Name() {
    if (Take('<')) {
      while (!Done() && Peek() != '>') ++at;
      return Take('>');
    }
    size_t start = at;
    while (std::isalpha(static_cast<unsigned char>(Peek()))) ++at;
    return at > start;
  }
  // [+-]hh[:mm[:ss]] as seconds.
  bool Hms(int32_t* seconds) {
    int sign = Take('-') ? -1 : (Take('+'), 1);
    int h = 0, m = 0, sec = 0;
    if (!Number(&h)) return false;
    if (Take(':') && !Number(&m)) return false;
    if (Take(':') && !Number(&sec)) return false;
    // RFC 8536 3.3.1: hours up to 167 (rule times); more overflowed an int.
    if (h > 167 || m > 59 || sec > 59) return false;
    *seconds = sign * (h * 3600 + m * 60 + sec);
    return true;
  }
};

// A POSIX TZ rule date ("Jn", "n" or "Mm.w.d") and its local time of day.
struct RuleDate {
  enum class Kind { kJulianNoLeap, kZeroBasedDay, kMonthWeekDay } kind = Kind::kMonthWeekDay;
  int day = 0;  // Jn: 1..365; n: 0..365; Mm.w.d: the weekday d (0 = Sunday)
  int month = 0;
  int week = 0;                // 1..5, 5 = the last such weekday of the month
  int32_t seconds = 2 * 3600;  // may be negative or past 24h (RFC 8536 3.3.1)

  bool Parse(TzText* t) {
    if (t->Take('J')) {
      kind = Kind::kJulianNoLeap;
      if (!t->Number(&day) || day < 1 || day > 365) return false;
    } else if (t->Take('M')) {
      kind = Kind::kMonthWeekDay;
      if (!t->Number(&month) || !t->Take('.') || !t->Number(&week) || !t->Take('.') || !t->Number(&day)) return false;
      if (month < 1 || month > 12 || week < 1 || week > 5 || day > 6) return false;
    } else {
      kind = Kind::kZeroBasedDay;
      if (!t->Number(&day) || day > 365) return false;
    }
    return !t->Take('/') || t->Hms(&seconds);
  }

  // The instant this date and time fall on in `year`, read with the offset
  // in effect before the change.
  int64_t InstantIn(int64_t year, int32_t offset_before) const {
    return DayIn(year) * kSecondsPerDay + seconds - offset_before;
  }

  int64_t DayIn(int64_t year) const {
    const int64_t jan1 = DaysFromCivil(year, 1, 1);
    if (kind == Kind::kJulianNoLeap) return jan1 + day - 1 + (IsLeapYear(year) && day >= 60);  // Feb 29 not counted
    if (kind == Kind::kZeroBasedDay) return jan1 + day;
    const int64_t first = DaysFromCivil(year, unsigned(month), 1);
    const int64_t next_month =
        month == 12 ? DaysFromCivil(year + 1, 1, 1) : DaysFromCivil(year, unsigned(month + 1), 1);
    const int64_t first_weekday = ((first + 4) % 7 + 7) % 7;  // 1970-01-01 was a Thursday
    int64_t d = first + (day - first_weekday + 7) % 7 + 7 * (week - 1);
    while (d >= next_month) d -= 7;  // week 5: the last one in the month
    return d;
  }
};

// The footer of a TZif file ("CST6CDT,M3.2.0,M11.1.0"): the zone's rule for
// instants after its last transition.
struct PosixRule {
  int32_t std_offset = 0;  // seconds east of UTC
  bool has_dst = false;
  int32_t dst_offset = 0;
  RuleDate start, end;

  Status Parse(std::string_view text) {
    TzText t{text};
    int32_t west = 0;
    auto bad = [&] { return Status::Corruption("cannot read the POSIX TZ rule '" + std::string(text) + "'"); };
    if (!t.Name() || !t.Hms(&west)) return bad();
    std_offset = -west;  // POSIX counts west of UTC
    if (t.Done()) return Status::Ok();
    if (!t.Name()) return bad();
    has_dst = true;
    dst_offset = std_offset + 3600;
    if (t.Peek() != ',') {
      if (!t.Hms(&west)) return bad();
      dst_offset = -west;
    }
    if (!t.Take(',') || !start.Parse(&t) || !t.Take(',') || !end.Parse(&t) || !t.Done()) return bad();
    return Status::Ok();
  }

  int32_t OffsetAt(int64_t utc_seconds) const {
    if (!has_dst) return std_offset;
    int64_t year;
    unsigned month, day;
    CivilFromDays(FloorDiv(utc_seconds + std_offset, kSecondsPerDay), &year, &month, &day);
    const int64_t dst_from = start.InstantIn(year, std_offset);
    const int64_t dst_until = end.InstantIn(year, dst_offset);
    // Southern hemisphere rules start DST late in the year and end it early.
    const bool dst = dst_from < dst_until ? utc_seconds >= dst_from && utc_seconds < dst_until
                                          : !(utc_seconds >= dst_until && utc_seconds < dst_from);
    return dst ? dst_offset : std_offset;
  }
};

// "+08:00", "-0530", "GMT+8", "UTC-3" as seconds east of UTC.
bool ParseFixedOffset(std::string_view name, int32_t* seconds) {
  for (std::string_view prefix : {"GMT", "UTC"})
    if (name.size() > 3 && name.substr(0, 3) == prefix) name.remove_prefix(3);
  TzText t{name};
  int sign = t.Take('-') ? -1 : (t.Take('+') ? 1 : 0);
  size_t digits_at = t.at;
  int hours = 0, minutes = 0;
  if (sign == 0 || !t.Number(&hours)) return false;
  if (t.at - digits_at == 4) {  // "+0530"
    minutes = hours % 100;
    hours /= 100;
  } else if (t.at - digits_at > 2 || (t.Take(':') && !t.Number(&minutes))) {
    return false;
  }
  if (!t.Done() || hours > 18 || minutes > 59) return false;
  *seconds = sign * (hours * 3600 + minutes * 60);
  return true;
}

bool IsSafeZoneName(std::string_view name) {
  if (name.empty() || name.front() == '/' || name.find("..") != std::string_view::npos) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '_' || c == '-' || c == '+';
  });
}

}  // namespace

struct TimeZone::Zone {
  std::string name = "UTC";
  std::vector<int64_t> transitions;  // UTC seconds, ascending
  std::vector<int32_t> offsets;      // the offset from transitions[i] on
  int32_t initial_offset = 0;        // before the first transition
  bool has_rule = false;
  PosixRule rule;
};

TimeZone::TimeZone() : zone_(std::make_shared<const Zone>()) {}

TimeZone::TimeZone(std::shared_ptr<const Zone> zone) : zone_(std::move(zone)) {}

const std::string& TimeZone::name() const { return zone_->name; }

Result<TimeZone> TimeZone::Load(std::string_view name) {
  auto zone = std::make_shared<Zone>();
  zone->name = std::string(name);
  std::string upper(name);
  for (char& c : upper) c = char(std::toupper(static_cast<unsigned char>(c)));
  if (upper == "UTC" || upper == "GMT" || upper == "Z") return TimeZone(zone);
  if (ParseFixedOffset(upper, &zone->initial_offset)) return TimeZone(zone);
  const std::string advice = "; use an IANA name such as Asia/Shanghai or an offset such as +08:00";
  if (!IsSafeZoneName(name)) return Status::NotFound("unknown time zone '" + zone->name + "'" + advice);
  const char* dir = std::getenv("TZDIR");
  std::string path = std::string(dir && *dir ? dir : "/usr/share/zoneinfo") + "/" + zone->name;
  auto bytes = ReadFile(path);
  if (!bytes.ok())
    return Status::NotFound("unknown time zone '" + zone->name + "': cannot read " + path + advice +
                            " (the tz database comes with the tzdata package)");
  return FromTzif(name, *bytes);
}

Result<TimeZone> TimeZone::FromTzif(std::string_view name, std::string_view tzif) {
  auto corrupt = [&](const std::string& what) {
    return Status::Corruption("the time zone file of '" + std::string(name) + "' is not valid TZif: " + what +
                              "; reinstall the tzdata package");
  };
  TzifCounts counts;
  if (!ReadCounts(tzif, 0, &counts)) return corrupt("bad or truncated header");
  size_t at = kTzifHeaderBytes, time_bytes = 4;
  if (tzif[4] >= '2') {  // version 2+: skip the 32-bit block, read the 64-bit one
    at += counts.DataBytes(4);
    if (!ReadCounts(tzif, at, &counts)) return corrupt("bad or truncated second header");
    at += kTzifHeaderBytes;
    time_bytes = 8;
    if (tzif.size() < at + counts.DataBytes(8)) return corrupt("truncated data");
  }
  auto zone = std::make_shared<Zone>();
  zone->name = std::string(name);
  const char* times = tzif.data() + at;
  const char* type_of = times + counts.timecnt * time_bytes;
  const char* types = type_of + counts.timecnt;
  auto offset_of_type = [&](uint32_t i) { return int32_t(BigEndian32(types + 6 * i)); };
  for (uint32_t i = 0; i < counts.timecnt; ++i) {
    uint32_t type = static_cast<unsigned char>(type_of[i]);
    if (type >= counts.typecnt) return corrupt("a transition to an unknown local time type");
    int64_t when = BigEndianTime(times + i * time_bytes, time_bytes);
    if (!zone->transitions.empty() && when <= zone->transitions.back()) return corrupt("transitions out of order");
    zone->transitions.push_back(when);
    zone->offsets.push_back(offset_of_type(type));
  }
  zone->initial_offset = offset_of_type(0);  // RFC 8536 3.2: type 0 applies before the first transition
  at += counts.DataBytes(time_bytes);
  if (time_bytes == 8 && at < tzif.size() && tzif[at] == '\n') {
    size_t end = tzif.find('\n', at + 1);
    std::string_view footer = tzif.substr(at + 1, end == std::string_view::npos ? 0 : end - at - 1);
    if (!footer.empty()) {
      Status s = zone->rule.Parse(footer);
      if (!s.ok()) return corrupt(s.message());
      zone->has_rule = true;
    }
  }
  return TimeZone(zone);
}

int32_t TimeZone::OffsetAt(int64_t utc_seconds) const {
  const Zone& z = *zone_;
  // RFC 8536 3.3: the footer rule covers instants after the last transition,
  // and all of them when there is none.
  if (z.has_rule && (z.transitions.empty() || utc_seconds > z.transitions.back())) return z.rule.OffsetAt(utc_seconds);
  if (z.transitions.empty() || utc_seconds < z.transitions.front()) return z.initial_offset;
  auto next = std::upper_bound(z.transitions.begin(), z.transitions.end(), utc_seconds);
  return z.offsets[size_t(next - z.transitions.begin()) - 1];
}

int64_t TimeZone::LocalToUtc(int64_t local_seconds) const {
  // The offsets a day before and after bracket any single change of offset
  // (offsets stay within +-26 hours).
  const int32_t before = OffsetAt(local_seconds - kSecondsPerDay);
  const int32_t after = OffsetAt(local_seconds + kSecondsPerDay);
  const int64_t with_before = local_seconds - before;
  const int64_t with_after = local_seconds - after;
  const bool before_fits = OffsetAt(with_before) == before;
  const bool after_fits = OffsetAt(with_after) == after;
  if (before_fits && after_fits) return std::min(with_before, with_after);
  if (after_fits) return with_after;
  return with_before;  // fits, or a gap: read with the earlier offset
}

}  // namespace dbsync::maxcompute
