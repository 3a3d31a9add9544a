// Placeholder registration until the binlog inspection command lands.
#include "commands.hpp"

namespace dbsync::app {
void SetupBinlogCommand(CLI::App&, CommandContext&) {}
}  // namespace dbsync::app
