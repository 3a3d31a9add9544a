#pragma once
// The source's connection settings from the task spec, in one place so that
// every connection (SQL and replication, check, verify, apply) gets source.tls.

#include <string>

#include "config/task_spec.hpp"
#include "net/mysql_client.hpp"

namespace dbsync::mysql {

inline Endpoint EndpointOf(const config::SourceSpec& src, const std::string& password, int read_timeout_seconds) {
  Endpoint ep{src.host, src.port, src.user, password, src.connect_timeout_seconds, read_timeout_seconds};
  ep.tls = src.tls;
  return ep;
}

}  // namespace dbsync::mysql
