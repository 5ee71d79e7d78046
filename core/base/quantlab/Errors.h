#pragma once
// Errors a user can cause. qlhost catches them once, prints the message as one
// line and exits with status 2. Bugs are asserts, not these.
#include <stdexcept>
#include <string>

namespace quantlab {

class UserError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A configuration file, a --set override or a key in them.
class ConfigError : public UserError {
 public:
  using UserError::UserError;
};

// A data file: missing, truncated, corrupt.
class DataError : public UserError {
 public:
  using UserError::UserError;
};

// A plugin that cannot be loaded or was built against something else.
class PluginError : public UserError {
 public:
  using UserError::UserError;
};

// Storage map, QuantLab home, logbook folders, experiment ids, checkpoints.
class StorageError : public UserError {
 public:
  using UserError::UserError;
};

}  // namespace quantlab
