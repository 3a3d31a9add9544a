#pragma once
// The FE's connection settings from the task spec, in one place so that
// every connection (sink, check, readback) gets destination.tls.
//
// What TLS can cover on StarRocks (tests/emulators/starrocks/README.md,
// "TLS"): the FE's MySQL port from 3.4.1, the FE's HTTP API on its own
// https_port from 4.0; never the BE's HTTP port, to which the FE redirects
// every Stream Load as http://, so row data reaches the BEs unencrypted.

#include <string>

#include "config/task_spec.hpp"
#include "core/status.hpp"
#include "net/mysql_client.hpp"
#include "sink/starrocks/sr_stream_load.hpp"

namespace dbsync::starrocks {

inline mysql::Endpoint FeEndpoint(const config::DestinationSpec& d, const std::string& password,
                                  int read_timeout_seconds) {
  mysql::Endpoint ep{d.host, d.port, d.user, password, d.connect_timeout_seconds, read_timeout_seconds,
                     "the StarRocks FE", "destination.user and destination.password"};
  ep.tls = d.tls;
  ep.tls_setting = "destination.tls";
  return ep;
}

// "https://fe:8443" with destination.https_port, else "http://fe:8030".
inline std::string FeHttpBase(const config::DestinationSpec& d) {
  return d.https_port > 0 ? "https://" + d.host + ":" + std::to_string(d.https_port)
                          : "http://" + d.host + ":" + std::to_string(d.http_port);
}

// destination.https_port asks for TLS that mode disabled refuses.
inline Status HttpsPortTakesTls(const config::DestinationSpec& d) {
  if (d.https_port > 0 && d.tls.mode == TlsMode::kDisabled)
    return Status::FailedPrecondition("destination.https_port is set but destination.tls.mode is disabled: remove "
                                      "https_port to load over the FE's http_port, or choose another mode");
  return Status::Ok();
}

inline HttpEndpoint FeHttpEndpoint(const config::DestinationSpec& d, const std::string& password) {
  HttpEndpoint http{FeHttpBase(d), d.user, password};
  http.tls = d.tls;
  return http;
}

}  // namespace dbsync::starrocks
