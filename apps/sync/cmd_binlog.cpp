// sync binlog dump FILE: print a binlog file's events and decoded rows, like
// `mysqlbinlog -v`, or one JSON object per event with --output json.

#include <iostream>

#include "commands.hpp"
#include "core/fd_ostream.hpp"
#include "source/mysql/binlog/binlog_dump.hpp"

namespace dbsync::app {

void SetupBinlogCommand(CLI::App& app, CommandContext& ctx) {
  struct Options {
    std::string file;
    uint64_t start_position = 4;
    uint64_t stop_position = 0;
    bool no_verify = false;
  };
  auto opts = std::make_shared<Options>();
  CLI::App* binlog = app.add_subcommand("binlog", "inspect MySQL/MariaDB binary logs");
  binlog->require_subcommand(1);

  CLI::App* dump = binlog->add_subcommand("dump", "print the events and decoded rows of a binlog file");
  dump->add_option("file", opts->file, "binlog file (plain or .gz)")->required();
  dump->add_option("--start-position", opts->start_position,
                   "first event to print (the format description event is always read first)")
      ->check(CLI::Range(uint64_t{4}, UINT64_MAX));
  dump->add_option("--stop-position", opts->stop_position, "stop before the event that starts here");
  dump->add_flag("--no-verify-checksum", opts->no_verify, "do not verify CRC32 event checksums");
  AddOutputOption(*dump, ctx);
  dump->footer(
      "Text output follows mysqlbinlog -v: '# at POS', a header line per event, and\n"
      "'### INSERT INTO `db`.`t` / ### SET / ###   @1=...' for rows (timestamps of headers in UTC).\n"
      "JSON output is one object per event and line.\n"
      "EXIT STATUS: 0 ok, 1 the file is corrupt or unreadable, 2 usage error or no such file.");
  dump->callback([&ctx, opts] {
    binlog::DumpOptions dump_opts;
    dump_opts.start_position = opts->start_position;
    if (opts->stop_position > 0) dump_opts.stop_position = opts->stop_position;
    dump_opts.verify_checksum = !opts->no_verify;
    dump_opts.format =
        ctx.global.output == OutputFormat::kJson ? binlog::DumpFormat::kJson : binlog::DumpFormat::kText;
    std::cout.flush();
    FdOstream out(STDOUT_FILENO);
    Status s = binlog::DumpBinlogFile(opts->file, dump_opts, out);
    out.flush();
    // A missing file is a usage error here, not exit 3 ("task not found").
    if (s.code() == StatusCode::kNotFound) s = Status::InvalidArgument(s.message());
    if (!s.ok()) ctx.exit_code = ReportError(ctx, s);
  });
}

}  // namespace dbsync::app
