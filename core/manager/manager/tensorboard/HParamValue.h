#pragma once
// One hyper-parameter value as the HParams plugin shows it: a number, a text
// or a flag. Integers become numbers (the plugin stores float64).
#include <string>
#include <type_traits>
#include <variant>

namespace quantlab::tensorboard {

class HParamValue {
 public:
  template <typename Number,
            std::enable_if_t<std::is_arithmetic_v<Number> && !std::is_same_v<Number, bool>, int> = 0>
  HParamValue(Number number) : value_(static_cast<double>(number)) {}
  HParamValue(bool flag) : value_(flag) {}
  HParamValue(std::string text) : value_(std::move(text)) {}
  // Without this a string literal would pick the bool constructor.
  HParamValue(const char* text) : value_(std::string(text)) {}

  bool is_number() const { return std::holds_alternative<double>(value_); }
  bool is_text() const { return std::holds_alternative<std::string>(value_); }
  bool is_flag() const { return std::holds_alternative<bool>(value_); }

  // Asking for the wrong kind is a bug: std::bad_variant_access.
  double number() const { return std::get<double>(value_); }
  const std::string& text() const { return std::get<std::string>(value_); }
  bool flag() const { return std::get<bool>(value_); }

  bool operator==(const HParamValue& other) const { return value_ == other.value_; }
  bool operator!=(const HParamValue& other) const { return !(*this == other); }

 private:
  std::variant<double, std::string, bool> value_;
};

}  // namespace quantlab::tensorboard
