#pragma once
// Status and Result<T>: how every expected failure travels through lib/.
//
// A Status is a code plus a message written for the user: it says what went
// wrong and what to do about it. Exceptions are reserved for programming
// errors; libraries that throw (yaml-cpp, std::filesystem) are caught at the
// adapter and turned into a Status with context.

#include <string>
#include <utility>
#include <variant>

namespace dbsync {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // bad task spec or command line
  kNotFound,            // task, table, file does not exist
  kAlreadyExists,       // duplicate task name
  kFailedPrecondition,  // state does not allow the operation (binlog off, task deleted)
  kUnavailable,         // network: retryable
  kUnauthenticated,     // wrong password
  kPermissionDenied,    // missing privilege, unreadable file
  kCorruption,          // bad binlog event, bad state file
  kIOError,             // local file system
  kBusy,                // lock held by another process
  kCancelled,
  kInternal,
  kDataRejected,        // a row the destination refused (its value, a constraint): dirty data
  kStorageFault,        // the local file system refused a write: full, over quota, read-only, failing
};

const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }
  static Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status AlreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
  static Status FailedPrecondition(std::string m) {
    return {StatusCode::kFailedPrecondition, std::move(m)};
  }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status Unauthenticated(std::string m) { return {StatusCode::kUnauthenticated, std::move(m)}; }
  static Status PermissionDenied(std::string m) {
    return {StatusCode::kPermissionDenied, std::move(m)};
  }
  static Status Corruption(std::string m) { return {StatusCode::kCorruption, std::move(m)}; }
  static Status IOError(std::string m) { return {StatusCode::kIOError, std::move(m)}; }
  static Status Busy(std::string m) { return {StatusCode::kBusy, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
  static Status DataRejected(std::string m) { return {StatusCode::kDataRejected, std::move(m)}; }
  static Status StorageFault(std::string m) { return {StatusCode::kStorageFault, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // Network failures and lock contention may succeed when tried again.
  bool IsRetryable() const { return code_ == StatusCode::kUnavailable || code_ == StatusCode::kBusy; }

  // Returns a copy whose message is prefixed with `context: `.
  Status WithContext(const std::string& context) const;
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// A value or a non-OK Status. Accessing value() of an error is a programming error.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}           // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}    // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace dbsync

#define SYNC_CONCAT_INNER(a, b) a##b
#define SYNC_CONCAT(a, b) SYNC_CONCAT_INNER(a, b)

// Returns early from the enclosing function when `expr` (a Status) is not OK.
#define SYNC_RETURN_IF_ERROR(expr)              \
  do {                                          \
    ::dbsync::Status sync_status_ = (expr);     \
    if (!sync_status_.ok()) return sync_status_; \
  } while (0)

// `SYNC_ASSIGN_OR_RETURN(auto x, ResultExpr());`
#define SYNC_ASSIGN_OR_RETURN(lhs, expr) SYNC_ASSIGN_OR_RETURN_IMPL(SYNC_CONCAT(sync_r_, __LINE__), lhs, expr)
#define SYNC_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return tmp.status();              \
  lhs = std::move(tmp).value()
