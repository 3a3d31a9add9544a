#include "pipeline/background_copy.hpp"

namespace dbsync::pipeline {

BackgroundCopy::BackgroundCopy(config::TaskSpec spec, std::vector<sink::TableBinding> tables, FullInitOptions options,
                               Logger& log, Progress& progress)
    : spec_(std::move(spec)), tables_(std::move(tables)), options_(std::move(options)) {
  thread_ = std::thread([this, &log, &progress] {
    auto copied = RunFullInitialization(spec_, tables_, options_, log, progress, stop_);
    status_ = copied.ok() ? Status::Ok() : copied.status();
    if (copied.ok()) positions_ = std::move(copied).value();
    done_ = true;  // publishes status_ and positions_ to the thread that reads done()
  });
}

BackgroundCopy::~BackgroundCopy() {
  stop_ = true;
  thread_.join();
}

}  // namespace dbsync::pipeline
