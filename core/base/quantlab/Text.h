#pragma once
// Text for the leaderboard's outputs: numbers written the shortest way that
// reads back exactly, and escaping for each format the leaderboard is written
// in (CSV, JSON, HTML/SVG).
#include <optional>
#include <string>
#include <string_view>

namespace quantlab {

// The shortest decimal text that parses back to `value` ("0.05", "1e-05",
// "3"); "nan", "inf", "-inf" for non-finite values.
std::string shortest(double value);

// 3 significant digits with a decimal unit prefix: 824 -> "824", 4643840 ->
// "4.64M"; with a unit, separated by a space: "4.64 MB".
std::string with_unit(double value, std::string_view unit = "");

// A positive amount as a user writes it, a number and one of the units:
// byte_amount("300KiB") = 307200 (B, kB or KB, KiB, MB, MiB, GB, GiB; a bare
// number is bytes), count_amount("20M") = 2e7 (k or K, M, G, T; a bare
// number counts itself). nullopt for anything else, zero and non-finite
// values included.
std::optional<double> byte_amount(std::string_view text);
std::optional<double> count_amount(std::string_view text);

// Seconds as h:mm:ss.
std::string clock_text(double seconds);

// A CSV field (RFC 4180): quoted when it holds a comma, quote or line break.
std::string csv_field(std::string_view text);
// A JSON string literal, quotes included.
std::string json_string(std::string_view text);
// Text safe inside HTML/SVG elements and attribute values.
std::string xml_escape(std::string_view text);

}  // namespace quantlab
