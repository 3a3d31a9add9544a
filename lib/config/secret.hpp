#pragma once
// Secrets in a task spec: a literal, `${env:NAME}` or `${file:PATH}`.
// References are stored and shown as written; they are resolved only when a
// connection is about to be opened, so task.yaml never holds a resolved value.
// A literal is never shown: DisplaySecret gives "***".

#include <string>
#include <vector>

#include "core/redactor.hpp"
#include "core/status.hpp"

namespace dbsync::config {

bool IsSecretReference(const std::string& raw);
// The value to send to a server. Errors name the reference, never a value.
Result<std::string> ResolveSecret(const std::string& raw);
// What status, logs and errors may show for this secret.
std::string DisplaySecret(const std::string& raw);

using Redactor = dbsync::Redactor;

}  // namespace dbsync::config
