#pragma once
// The destination's connection settings from the task spec, in one place so
// that every connection (sink, check, readback) gets destination.tls.

#include <string>

#include "config/task_spec.hpp"
#include "sink/postgres/pg_connection.hpp"

namespace dbsync::postgres {

// A spec built in code may leave the port unset (0); a parsed one has the default.
inline Endpoint EndpointOf(const config::DestinationSpec& d, const std::string& password, int default_port) {
  Endpoint ep{d.host, d.port > 0 ? d.port : default_port, d.database, d.user, password, d.connect_timeout_seconds};
  ep.tls = d.tls;
  ep.stall_timeout_seconds = d.stall_timeout_seconds;
  return ep;
}

}  // namespace dbsync::postgres
