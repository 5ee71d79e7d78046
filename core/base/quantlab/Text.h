#pragma once
// Text for the leaderboard's outputs: numbers written the shortest way that
// reads back exactly, and escaping for each format the leaderboard is written
// in (CSV, JSON, HTML/SVG).
#include <string>
#include <string_view>

namespace quantlab {

// The shortest decimal text that parses back to `value` ("0.05", "1e-05",
// "3"); "nan", "inf", "-inf" for non-finite values.
std::string shortest(double value);

// 3 significant digits with a decimal unit prefix: 824 -> "824", 4643840 ->
// "4.64M"; with a unit, separated by a space: "4.64 MB".
std::string with_unit(double value, std::string_view unit = "");

// Seconds as h:mm:ss.
std::string clock_text(double seconds);

// A CSV field (RFC 4180): quoted when it holds a comma, quote or line break.
std::string csv_field(std::string_view text);
// A JSON string literal, quotes included.
std::string json_string(std::string_view text);
// Text safe inside HTML/SVG elements and attribute values.
std::string xml_escape(std::string_view text);

}  // namespace quantlab
