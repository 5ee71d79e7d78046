#include <catch2/catch.hpp>

#include <cmath>
#include <regex>

#include "manager/compare/Svg.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using namespace quantlab::compare;

TEST_CASE("a linear axis maps its range onto the pixels also from bottom to top", "[compare]") {
  const Axis x(0, 10, Axis::Scale::Linear, 50, 550);
  CHECK(x.to_pixel(0) == Approx(50));
  CHECK(x.to_pixel(5) == Approx(300));
  CHECK(x.to_pixel(10) == Approx(550));
  const Axis y(0, 1, Axis::Scale::Linear, 400, 40);  // SVG's y grows downwards
  CHECK(y.to_pixel(0) == Approx(400));
  CHECK(y.to_pixel(1) == Approx(40));
  CHECK(y.to_pixel(0.25) == Approx(310));
}

TEST_CASE("a log axis spaces decades evenly", "[compare]") {
  const Axis x(1e3, 1e6, Axis::Scale::Log, 0, 300);
  CHECK(x.to_pixel(1e3) == Approx(0));
  CHECK(x.to_pixel(1e4) == Approx(100));
  CHECK(x.to_pixel(1e5) == Approx(200));
  CHECK(x.to_pixel(1e6) == Approx(300));
}

TEST_CASE("fitting picks log only beyond a factor of 10 and covers every value", "[compare]") {
  SECTION("spanning more than 10x: log") {
    const Axis axis = Axis::fit({4e5, 3.3e6, 5e7}, 0, 500, true);
    CHECK(axis.scale() == Axis::Scale::Log);
    CHECK(axis.min() < 4e5);
    CHECK(axis.max() > 5e7);
    const auto ticks = axis.ticks();
    CHECK(std::find(ticks.begin(), ticks.end(), 1e6) != ticks.end());
    CHECK(std::find(ticks.begin(), ticks.end(), 1e7) != ticks.end());
  }
  SECTION("within 10x, or log not allowed, or a value not positive: linear") {
    CHECK(Axis::fit({4e5, 3.3e6}, 0, 500, true).scale() == Axis::Scale::Linear);
    CHECK(Axis::fit({4e5, 5e7}, 0, 500, false).scale() == Axis::Scale::Linear);
    CHECK(Axis::fit({0, 5e7}, 0, 500, true).scale() == Axis::Scale::Linear);
  }
  SECTION("linear ticks are round, evenly spaced, inside the range, and the range holds the values") {
    const Axis axis = Axis::fit({0.083, 0.147, 0.12}, 0, 500, false);
    CHECK(axis.min() <= 0.083);
    CHECK(axis.max() >= 0.147);
    const auto ticks = axis.ticks();
    REQUIRE(ticks.size() >= 3);
    REQUIRE(ticks.size() <= 12);
    const double step = ticks[1] - ticks[0];
    for (std::size_t i = 1; i < ticks.size(); ++i) CHECK(ticks[i] - ticks[i - 1] == Approx(step));
    CHECK(step == Approx(0.02));
    CHECK(ticks.front() >= axis.min() - 1e-12);
    CHECK(ticks.back() <= axis.max() + 1e-12);
  }
  SECTION("a single value gets a range around it; an epoch axis steps by whole epochs") {
    const Axis single = Axis::fit({42}, 0, 500, true);
    CHECK(single.min() < 42);
    CHECK(single.max() > 42);
    const Axis epochs = Axis::fit({1, 2, 3}, 0, 500, false, 1);
    for (const double tick : epochs.ticks()) CHECK(tick == std::round(tick));
  }
  SECTION("no finite values: a unit range") {
    const Axis axis = Axis::fit({std::nan("")}, 0, 500, true);
    CHECK(axis.min() == 0);
    CHECK(axis.max() == 1);
  }
}

TEST_CASE("a chart draws its frame and points and lines and escaped labels in pixels", "[compare]") {
  const SvgChart::Layout layout{400, 300, 50, 10, 20, 30};
  SvgChart chart(layout, "size <vs> error", Axis(0, 10, Axis::Scale::Linear, layout.x_from(), layout.x_to()), "x",
                 tick_text, Axis(0, 1, Axis::Scale::Linear, layout.y_from(), layout.y_to()), "y", tick_text);
  chart.point(5, 0.5, 4, "run", "exp0001 & co");
  chart.line({{0, 0}, {10, 1}}, "front-line");
  const std::string svg = chart.svg();
  CHECK(svg.rfind("<svg", 0) == 0);
  CHECK_THAT(svg, Catch::Contains("width=\"400\" height=\"300\""));
  // The plot area spans x 50..390 and y 270..20: (5, 0.5) is its middle.
  CHECK_THAT(svg, Catch::Contains("<circle class=\"run\" cx=\"220.0\" cy=\"145.0\" r=\"4.0\"><title>exp0001 &amp; co"));
  CHECK_THAT(svg, Catch::Contains("<path class=\"front-line\" d=\"M50.0 270.0 L390.0 20.0\""));
  CHECK_THAT(svg, Catch::Contains("size &lt;vs&gt; error"));
  const std::regex tick_label(R"(<text class="tick"[^>]*>0\.4</text>)");
  CHECK(std::regex_search(svg, tick_label));
  CHECK(svg.find("<script") == std::string::npos);
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
