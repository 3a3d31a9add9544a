// The applier thread of real-time sync: order, back-pressure, and that
// nothing runs after a failure (a later checkpoint would skip the failed batch).
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "pipeline/async_applier.hpp"

using namespace dbsync;
using namespace dbsync::pipeline;

TEST_CASE("AsyncApplier runs tasks in submission order and Drain waits for them") {
  std::vector<int> ran;  // only the applier thread writes it until Drain returns
  AsyncApplier applier;
  for (int i = 0; i < 50; ++i) {
    REQUIRE(applier.Submit([&ran, i] {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      ran.push_back(i);
      return Status::Ok();
    }).ok());
  }
  REQUIRE(applier.Drain().ok());
  CHECK(applier.Idle());
  REQUIRE(ran.size() == 50);
  for (int i = 0; i < 50; ++i) CHECK(ran[i] == i);
}

TEST_CASE("AsyncApplier holds at most one task behind the running one") {
  std::atomic<bool> release{false};
  std::atomic<int> started{0};
  AsyncApplier applier;
  auto blocked = [&] {
    ++started;
    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return Status::Ok();
  };
  REQUIRE(applier.Submit(blocked).ok());
  while (started == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  CHECK_FALSE(applier.Idle());
  REQUIRE(applier.Submit(blocked).ok());  // waits in the queue
  std::atomic<bool> third_submitted{false};
  std::thread submitter([&] {
    (void)applier.Submit([] { return Status::Ok(); });
    third_submitted = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK_FALSE(third_submitted.load());  // back-pressure: the queue is full
  release = true;
  submitter.join();
  CHECK(third_submitted.load());
  CHECK(applier.Drain().ok());
}

TEST_CASE("after a failed task nothing more runs and the failure is returned") {
  std::atomic<int> after{0};
  AsyncApplier applier;
  REQUIRE(applier.Submit([] { return Status::Unavailable("destination went away"); }).ok());
  Status drained = applier.Drain();
  CHECK(drained.code() == StatusCode::kUnavailable);
  CHECK(applier.FirstError().code() == StatusCode::kUnavailable);  // known without waiting once it happened
  CHECK(drained.message() == "destination went away");
  Status submitted = applier.Submit([&] {
    ++after;
    return Status::Ok();
  });
  CHECK(submitted.code() == StatusCode::kUnavailable);
  CHECK(applier.Drain().code() == StatusCode::kUnavailable);
  CHECK(after == 0);
}
