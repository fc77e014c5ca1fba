// paddockctl's per-command help (`paddockctl help COMMAND`, `paddockctl COMMAND --help`):
// what the command does, its arguments and options, its output and exit codes, examples.
// The same text is the source of the man page's COMMANDS section (packaging/man).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace paddock::host {

// The help text of `command` ("list", "status", ...), or nullopt for an unknown command.
std::optional<std::string> CtlCommandHelp(std::string_view command);

// Every command name, in the order the usage text lists them.
std::vector<std::string> CtlCommandNames();

// The general usage text followed by a pointer to per-command help.
std::string CtlUsageWithHint();

}  // namespace paddock::host
