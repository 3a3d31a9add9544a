// Fuzz target for what the StarRocks sink reads from a server's HTTP replies
// (specs/starrocks.md 1.12): the transaction API's JSON bodies (begin, load,
// prepare, commit, rollback) and get_load_state's. The input is one body; it
// is read as each of them, and a refusal is turned into its Status as the
// client does. Malformed input must only ever produce a Status or an
// outcome: any crash (an exception escaping included), hang or sanitizer
// report is a bug.
//
// Built with libFuzzer under clang, and with fuzz_replay_main.cpp (seeds plus
// time-bounded random mutations) under any compiler, for ctest.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "sink/starrocks/sr_stream_load.hpp"

using namespace dbsync::starrocks;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const TxnReply reply = ParseTxnReply(body);
  if (!BeginOutcome(reply)) (void)RefusalStatus("begin: " + reply.status + " " + reply.message);
  if (!LoadAccepted(reply)) (void)RefusalStatus("load: " + reply.status + " " + reply.message + " " + reply.error_url);
  for (const char* op : {"prepare", "commit", "rollback"})
    if (!FinishOutcome(op, reply)) (void)RefusalStatus(std::string(op) + ": " + reply.status + " " + reply.message);
  return 0;
}
