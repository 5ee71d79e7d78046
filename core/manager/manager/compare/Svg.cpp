#include "manager/compare/Svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "quantlab/Text.h"

namespace quantlab::compare {

namespace {

// Linear ticks: about six per axis.
constexpr double kTargetTicks = 6;

// The smallest 1, 2 or 5 x 10^k at least `raw`.
double nice_step(double raw) {
  if (!(raw > 0) || !std::isfinite(raw)) return 1;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double fraction = raw / magnitude;
  const double nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
  return nice * magnitude;
}

double linear_step(double min, double max, double min_step) {
  return std::max(nice_step((max - min) / kTargetTicks), min_step);
}

std::string pixel(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", value);
  return text;
}

}  // namespace

Axis::Axis(double min, double max, Scale scale, double pixel_from, double pixel_to, double min_step)
    : min_(min), max_(max), scale_(scale), pixel_from_(pixel_from), pixel_to_(pixel_to), min_step_(min_step) {}

Axis Axis::fit(const std::vector<double>& values, double pixel_from, double pixel_to, bool allow_log,
               double min_step) {
  std::vector<double> finite;
  for (const double value : values)
    if (std::isfinite(value)) finite.push_back(value);
  if (finite.empty()) return Axis(0, 1, Scale::Linear, pixel_from, pixel_to, min_step);
  double low = *std::min_element(finite.begin(), finite.end());
  double high = *std::max_element(finite.begin(), finite.end());
  if (allow_log && low > 0 && high > 10 * low) {
    // A fifth of a decade of margin keeps the extreme points off the frame.
    return Axis(low / std::pow(10.0, 0.2), high * std::pow(10.0, 0.2), Scale::Log, pixel_from, pixel_to);
  }
  if (high == low) {
    const double pad = std::max(low == 0 ? 1.0 : std::fabs(low) * 0.1, min_step);
    low -= pad;
    high += pad;
  }
  const double step = linear_step(low, high, min_step);
  return Axis(std::floor(low / step) * step, std::ceil(high / step) * step, Scale::Linear, pixel_from, pixel_to,
              min_step);
}

double Axis::to_pixel(double value) const {
  double share;
  if (scale_ == Scale::Log)
    share = (std::log10(value) - std::log10(min_)) / (std::log10(max_) - std::log10(min_));
  else
    share = (value - min_) / (max_ - min_);
  return pixel_from_ + share * (pixel_to_ - pixel_from_);
}

std::vector<double> Axis::ticks() const {
  std::vector<double> ticks;
  if (scale_ == Scale::Log) {
    const bool few_decades = std::log10(max_) - std::log10(min_) < 3;
    const std::vector<double> multiples = few_decades ? std::vector<double>{1, 2, 5} : std::vector<double>{1};
    for (int exponent = static_cast<int>(std::floor(std::log10(min_)));
         exponent <= static_cast<int>(std::ceil(std::log10(max_))); ++exponent)
      for (const double multiple : multiples) {
        const double value = multiple * std::pow(10.0, exponent);
        if (value >= min_ * (1 - 1e-9) && value <= max_ * (1 + 1e-9)) ticks.push_back(value);
      }
    return ticks;
  }
  const double step = linear_step(min_, max_, min_step_);
  const long first = std::lround(std::ceil(min_ / step - 1e-9));
  const long last = std::lround(std::floor(max_ / step + 1e-9));
  for (long k = first; k <= last; ++k) ticks.push_back(k * step);
  return ticks;
}

std::string tick_text(double value) {
  if (std::fabs(value) < 1e-12) return "0";
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", value);
  return text;
}

SvgChart::SvgChart(Layout layout, std::string title, Axis x, std::string x_title, Formatter x_format, Axis y,
                   std::string y_title, Formatter y_format)
    : layout_(layout),
      title_(std::move(title)),
      x_(x),
      x_title_(std::move(x_title)),
      x_format_(std::move(x_format)),
      y_(y),
      y_title_(std::move(y_title)),
      y_format_(std::move(y_format)) {}

std::string marker_element(Marker shape, double cx, double cy, double radius, const std::string& css_class,
                           const std::string& fill, const std::string& title) {
  std::string element, tag;
  if (shape == Marker::Circle) {
    tag = "circle";
    element = "<circle class=\"" + xml_escape(css_class) + "\" cx=\"" + pixel(cx) + "\" cy=\"" + pixel(cy) +
              "\" r=\"" + pixel(radius) + "\"";
  } else {
    // Corners as offsets from the centre in units of `radius`; the square and
    // the triangles are scaled to look as large as the circle.
    std::vector<std::pair<double, double>> corners;
    switch (shape) {
      case Marker::Square: corners = {{-0.9, -0.9}, {0.9, -0.9}, {0.9, 0.9}, {-0.9, 0.9}}; break;
      case Marker::Diamond: corners = {{0, -1.3}, {1.3, 0}, {0, 1.3}, {-1.3, 0}}; break;
      case Marker::TriangleUp: corners = {{0, -1.35}, {1.2, 0.85}, {-1.2, 0.85}}; break;
      case Marker::TriangleDown: corners = {{0, 1.35}, {1.2, -0.85}, {-1.2, -0.85}}; break;
      case Marker::Plus:
        corners = {{-0.4, -1.2}, {0.4, -1.2}, {0.4, -0.4}, {1.2, -0.4}, {1.2, 0.4}, {0.4, 0.4},
                   {0.4, 1.2},   {-0.4, 1.2}, {-0.4, 0.4}, {-1.2, 0.4}, {-1.2, -0.4}, {-0.4, -0.4}};
        break;
      case Marker::Circle: break;
    }
    std::string path;
    for (const auto& [dx, dy] : corners)
      path += (path.empty() ? "M" : " L") + pixel(cx + dx * radius) + " " + pixel(cy + dy * radius);
    tag = "path";
    element = "<path class=\"" + xml_escape(css_class) + "\" d=\"" + path + " Z\"";
  }
  if (!fill.empty()) element += " style=\"fill:" + xml_escape(fill) + "\"";
  if (title.empty()) return element + "/>\n";
  return element + "><title>" + xml_escape(title) + "</title></" + tag + ">\n";
}

void SvgChart::point(double x, double y, double radius, const std::string& css_class, const std::string& title,
                     const std::string& fill) {
  marker(x, y, Marker::Circle, radius, css_class, title, fill);
}

void SvgChart::marker(double x, double y, Marker shape, double radius, const std::string& css_class,
                      const std::string& title, const std::string& fill) {
  body_ += marker_element(shape, x_.to_pixel(x), y_.to_pixel(y), radius, css_class, fill, title);
}

void SvgChart::line(const std::vector<std::pair<double, double>>& points, const std::string& css_class,
                    const std::string& stroke, const std::string& title) {
  if (points.empty()) return;
  std::string path;
  for (const auto& [x, y] : points)
    path += (path.empty() ? "M" : " L") + pixel(x_.to_pixel(x)) + " " + pixel(y_.to_pixel(y));
  body_ += "<path class=\"" + xml_escape(css_class) + "\" d=\"" + path + "\"";
  if (!stroke.empty()) body_ += " style=\"stroke:" + xml_escape(stroke) + "\"";
  body_ += title.empty() ? "/>\n" : "><title>" + xml_escape(title) + "</title></path>\n";
}

void SvgChart::label(double x, double y, const std::string& text, const std::string& css_class) {
  // Near the right edge the text goes to the point's left, where it fits.
  const double at = x_.to_pixel(x);
  const bool leftwards = at > layout_.x_to() - 100;
  body_ += "<text class=\"" + xml_escape(css_class) + "\" x=\"" + pixel(leftwards ? at - 8 : at + 8) + "\" y=\"" +
           pixel(y_.to_pixel(y) - 6) + "\"" + (leftwards ? " text-anchor=\"end\"" : "") + ">" + xml_escape(text) +
           "</text>\n";
}

std::string SvgChart::frame() const {
  const Layout& l = layout_;
  std::string out;
  out += "<text class=\"chart-title\" x=\"" + pixel(l.width / 2.0) + "\" y=\"22\" text-anchor=\"middle\">" +
         xml_escape(title_) + "</text>\n";
  out += "<rect class=\"plot-area\" x=\"" + pixel(l.x_from()) + "\" y=\"" + pixel(l.y_to()) + "\" width=\"" +
         pixel(l.x_to() - l.x_from()) + "\" height=\"" + pixel(l.y_from() - l.y_to()) + "\"/>\n";
  for (const double tick : x_.ticks()) {
    const std::string at = pixel(x_.to_pixel(tick));
    out += "<line class=\"grid\" x1=\"" + at + "\" y1=\"" + pixel(l.y_to()) + "\" x2=\"" + at + "\" y2=\"" +
           pixel(l.y_from()) + "\"/>\n";
    out += "<line class=\"tick-mark\" x1=\"" + at + "\" y1=\"" + pixel(l.y_from()) + "\" x2=\"" + at + "\" y2=\"" +
           pixel(l.y_from() + 5) + "\"/>\n";
    out += "<text class=\"tick\" x=\"" + at + "\" y=\"" + pixel(l.y_from() + 18) + "\" text-anchor=\"middle\">" +
           xml_escape(x_format_(tick)) + "</text>\n";
  }
  for (const double tick : y_.ticks()) {
    const std::string at = pixel(y_.to_pixel(tick));
    out += "<line class=\"grid\" x1=\"" + pixel(l.x_from()) + "\" y1=\"" + at + "\" x2=\"" + pixel(l.x_to()) +
           "\" y2=\"" + at + "\"/>\n";
    out += "<line class=\"tick-mark\" x1=\"" + pixel(l.x_from() - 5) + "\" y1=\"" + at + "\" x2=\"" +
           pixel(l.x_from()) + "\" y2=\"" + at + "\"/>\n";
    out += "<text class=\"tick\" x=\"" + pixel(l.x_from() - 8) + "\" y=\"" + pixel(y_.to_pixel(tick) + 4) +
           "\" text-anchor=\"end\">" + xml_escape(y_format_(tick)) + "</text>\n";
  }
  out += "<text class=\"axis-title\" x=\"" + pixel((l.x_from() + l.x_to()) / 2) + "\" y=\"" + pixel(l.height - 12) +
         "\" text-anchor=\"middle\">" + xml_escape(x_title_) + "</text>\n";
  const std::string y_middle = pixel((l.y_from() + l.y_to()) / 2);
  out += "<text class=\"axis-title\" x=\"16\" y=\"" + y_middle +
         "\" text-anchor=\"middle\" transform=\"rotate(-90 16 " + y_middle + ")\">" + xml_escape(y_title_) +
         "</text>\n";
  return out;
}

std::string SvgChart::svg() const {
  const std::string width = std::to_string(layout_.width), height = std::to_string(layout_.height);
  return "<svg class=\"chart\" width=\"" + width + "\" height=\"" + height + "\" viewBox=\"0 0 " + width + " " +
         height + "\" role=\"img\" aria-label=\"" + xml_escape(title_) + "\">\n" + frame() + body_ + "</svg>\n";
}

}  // namespace quantlab::compare
