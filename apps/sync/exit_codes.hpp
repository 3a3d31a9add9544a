#pragma once
// The documented exit statuses; sync(1)'s EXIT STATUS sections list the same table.

#include "core/status.hpp"

namespace dbsync::app {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;         // a check or the operation failed
inline constexpr int kExitUsage = 2;          // usage error or invalid task spec
inline constexpr int kExitTaskNotFound = 3;   // no task with that id or name
inline constexpr int kExitBadState = 4;       // the task's state does not allow this (incl. busy)
inline constexpr int kExitCannotConnect = 5;  // cannot connect to the source or destination

inline int ExitCodeFor(const Status& s) {
  switch (s.code()) {
    case StatusCode::kOk: return kExitOk;
    case StatusCode::kInvalidArgument:
    case StatusCode::kAlreadyExists: return kExitUsage;
    case StatusCode::kNotFound: return kExitTaskNotFound;
    case StatusCode::kFailedPrecondition:
    case StatusCode::kBusy: return kExitBadState;
    case StatusCode::kUnavailable:
    case StatusCode::kUnauthenticated: return kExitCannotConnect;
    default: return kExitFailed;
  }
}

}  // namespace dbsync::app
