#pragma once
// Inline SVG charts for the report: axes that map data to pixels (linear, or
// logarithmic when the data spans more than a factor of 10), with readable
// ticks, and a chart that draws points, lines and labels on them. Plain
// strings, no scripts: the page must render with nothing but a browser.
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace quantlab::compare {

class Axis {
 public:
  enum class Scale { Linear, Log };

  // The axis from `pixel_from` (where `min` lands) to `pixel_to` (`max`); a
  // vertical axis runs from the bottom pixel to the top one. Log needs 0 < min.
  Axis(double min, double max, Scale scale, double pixel_from, double pixel_to, double min_step = 0);

  // An axis holding every finite value: log when `allow_log`, every value is
  // positive and the largest is more than 10 times the smallest; widened to
  // round ticks (linear) or by a margin (log). A single value, or none, gets
  // a range around it. `min_step` bounds a linear axis's tick step from below
  // (1 for epochs).
  static Axis fit(const std::vector<double>& values, double pixel_from, double pixel_to, bool allow_log,
                  double min_step = 0);

  Scale scale() const { return scale_; }
  double min() const { return min_; }
  double max() const { return max_; }
  double to_pixel(double value) const;

  // Tick values inside [min, max], ascending. Linear: the multiples of a step
  // of 1, 2 or 5 x 10^k (at least `min_step`), a handful of them. Log: the
  // powers of 10, with 2 and 5 times them when the axis spans fewer than 3
  // decades.
  std::vector<double> ticks() const;

 private:
  double min_, max_;
  Scale scale_;
  double pixel_from_, pixel_to_;
  double min_step_ = 0;
};

// Tick text with up to 6 significant digits: 0.085 -> "0.085", 12 -> "12".
std::string tick_text(double value);

// The shapes points are drawn with, to tell kinds of points apart beside
// their colour.
enum class Marker { Circle, Square, Diamond, TriangleUp, TriangleDown, Plus };

// One marker centred at pixel (cx, cy), about 2 x `radius` across: a <circle>
// or a <path>, with a hover title when one is given; `fill` (a CSS colour)
// overrides the class's. Charts and their legends draw with it.
std::string marker_element(Marker shape, double cx, double cy, double radius, const std::string& css_class,
                           const std::string& fill = "", const std::string& title = "");

// One chart: a frame with axes, tick marks, grid lines and axis titles;
// points and lines are added in data coordinates.
class SvgChart {
 public:
  using Formatter = std::function<std::string(double)>;
  struct Layout {
    int width = 560;
    int height = 380;
    int left = 72, right = 24, top = 36, bottom = 52;  // margins around the plot area

    // Pixel ranges of the plot area: x from left to right, y from bottom to top.
    double x_from() const { return left; }
    double x_to() const { return width - right; }
    double y_from() const { return height - bottom; }
    double y_to() const { return top; }
  };

  // `x` and `y` map into the layout's plot area (fit them with its pixel ranges).
  SvgChart(Layout layout, std::string title, Axis x, std::string x_title, Formatter x_format, Axis y,
           std::string y_title, Formatter y_format);

  const Axis& x_axis() const { return x_; }
  const Axis& y_axis() const { return y_; }

  // A dot with a hover title; `css_class` styles it, `fill` (a CSS colour) overrides the class's.
  void point(double x, double y, double radius, const std::string& css_class, const std::string& title,
             const std::string& fill = "");
  // The same with another shape.
  void marker(double x, double y, Marker shape, double radius, const std::string& css_class,
              const std::string& title, const std::string& fill = "");
  // A line through the points in order; `stroke` (a CSS colour) overrides the class's.
  void line(const std::vector<std::pair<double, double>>& points, const std::string& css_class,
            const std::string& stroke = "", const std::string& title = "");
  // Text beside a point, above it and to its right (to its left near the right edge).
  void label(double x, double y, const std::string& text, const std::string& css_class);

  // The whole <svg> element.
  std::string svg() const;

 private:
  std::string frame() const;

  Layout layout_;
  std::string title_;
  Axis x_;
  std::string x_title_;
  Formatter x_format_;
  Axis y_;
  std::string y_title_;
  Formatter y_format_;
  std::string body_;
};

}  // namespace quantlab::compare
