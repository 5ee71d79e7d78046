#include <catch2/catch.hpp>

#include <cmath>

#include "quantlab/Text.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using namespace quantlab;

TEST_CASE("numbers are written the shortest way that reads back exactly", "[compare]") {
  CHECK(shortest(0.05) == "0.05");
  CHECK(shortest(3) == "3");
  CHECK(shortest(1e-5) == "1e-05");
  CHECK(std::stod(shortest(0.1 + 0.2)) == 0.1 + 0.2);
  CHECK(shortest(std::nan("")) == "nan");
  CHECK(shortest(-INFINITY) == "-inf");
}

TEST_CASE("sizes and counts get a unit prefix and times read as h:mm:ss", "[compare]") {
  CHECK(with_unit(824) == "824");
  CHECK(with_unit(4643840) == "4.64M");
  CHECK(with_unit(417556, "B") == "418 KB");
  CHECK(with_unit(3298992, "B") == "3.30 MB");
  CHECK(with_unit(0.5) == "0.50");
  CHECK(clock_text(3725.4) == "1:02:05");
  CHECK(clock_text(59.6) == "0:01:00");
}

TEST_CASE("amounts as users write them: sizes in bytes and counts, with their units", "[compare]") {
  CHECK(byte_amount("300KiB") == 307200.0);
  CHECK(byte_amount("416144B") == 416144.0);
  CHECK(byte_amount("416144") == 416144.0);
  CHECK(byte_amount("0.5MB") == 500000.0);
  CHECK(byte_amount("2kB") == 2000.0);
  CHECK(byte_amount("2KB") == 2000.0);
  CHECK(byte_amount("1GiB") == 1073741824.0);
  CHECK_FALSE(byte_amount("300kiB"));
  CHECK_FALSE(byte_amount("0KiB"));
  CHECK_FALSE(byte_amount("-3KiB"));
  CHECK_FALSE(byte_amount("KiB"));
  CHECK_FALSE(byte_amount("20M"));
  CHECK(count_amount("20M") == 2e7);
  CHECK(count_amount("1.5G") == 1.5e9);
  CHECK(count_amount("2.5e8") == 2.5e8);
  CHECK(count_amount("7") == 7.0);
  CHECK_FALSE(count_amount("3X"));
  CHECK_FALSE(count_amount("20MB"));
}

TEST_CASE("csv and json and xml text is escaped for its format", "[compare]") {
  CHECK(csv_field("plain") == "plain");
  CHECK(csv_field("a, \"b\"") == "\"a, \"\"b\"\"\"");
  CHECK(csv_field("two\nlines") == "\"two\nlines\"");
  CHECK(json_string("a\"b\\c\n\x01") == "\"a\\\"b\\\\c\\n\\u0001\"");
  CHECK(xml_escape("<a href='x'>&\"</a>") == "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;");
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
