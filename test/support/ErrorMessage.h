#pragma once
#include <exception>
#include <functional>
#include <string>

namespace quantlab::test {

// The message of the Error that action throws, or "no error" when it throws
// none. Exceptions of other types pass through and fail the test, so a test
// that names ConfigError is not satisfied by some other failure.
template <class Error = std::exception>
std::string error_message_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& error) {
    return error.what();
  }
  return "no error";
}

}  // namespace quantlab::test
