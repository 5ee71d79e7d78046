#include "manager/compare/HtmlReport.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <functional>

#include "manager/compare/LeaderboardFormat.h"
#include "manager/compare/Pareto.h"
#include "manager/compare/Svg.h"
#include "manager/logbook/Logbook.h"
#include "quantlab/Text.h"

namespace quantlab::compare {

namespace {

// Everything the page needs to look right: it is read offline, by itself.
constexpr const char* kStyle = R"(
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 24px; color: #222; }
h1 { font-size: 22px; margin-bottom: 4px; }
h2 { font-size: 18px; margin-top: 28px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
p.meta { color: #555; margin-top: 0; }
ul.notes { color: #8a5a00; font-size: 13px; }
table.leaderboard { border-collapse: collapse; font-size: 13px; }
table.leaderboard th, table.leaderboard td { padding: 3px 10px; border-bottom: 1px solid #e4e4e4; white-space: nowrap; }
table.leaderboard th { background: #f2f4f7; text-align: left; position: sticky; top: 0; }
div.table-wrap { overflow-x: auto; }
table.leaderboard td.config { white-space: normal; max-width: 320px; overflow-wrap: anywhere;
  font-family: ui-monospace, monospace; font-size: 12px; }
table.leaderboard td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.leaderboard tr.folds td { font-weight: 600; background: #fafbfd; }
table.leaderboard tr.fold td:first-child { padding-left: 24px; color: #555; }
td.status-done { color: #1a7f37; }
td.status-failed, td.status-dead { color: #c62828; }
td.status-running { color: #1565c0; }
td.status-incomplete, td.status-pruned { color: #8a5a00; }
div.charts { display: flex; flex-wrap: wrap; gap: 16px; }
figure { margin: 0; }
figcaption { font-size: 13px; color: #444; max-width: 600px; }
svg.chart { background: #fff; }
svg.chart .plot-area { fill: #fff; stroke: #999; }
svg.chart .grid { stroke: #ececec; }
svg.chart .tick-mark { stroke: #999; }
svg.chart .tick { font-size: 11px; fill: #555; }
svg.chart .axis-title { font-size: 12px; fill: #333; }
svg.chart .chart-title { font-size: 14px; font-weight: 600; fill: #222; }
svg.chart .run { stroke: #fff; stroke-width: 1; fill-opacity: 0.8; }
svg.chart .front { stroke: #222; stroke-width: 1.5; }
svg.chart path.front-line { fill: none; stroke: #d62728; stroke-width: 2; }
svg.chart text.front-label, svg.chart text.run-label { font-size: 11px; fill: #a01c1c; }
svg.chart text.run-label { fill: #555; }
ul.origins { list-style: none; padding: 0; margin: 4px 0; font-size: 13px; display: flex; flex-wrap: wrap; gap: 14px; }
ul.origins svg { vertical-align: middle; margin-right: 4px; }
ul.origins .front { stroke: #222; stroke-width: 1.5; }
h3 { font-size: 15px; margin: 16px 0 4px; }
table.sensitivity { border-collapse: collapse; font-size: 12px; margin-bottom: 8px; }
table.sensitivity th, table.sensitivity td { padding: 2px 8px; border: 1px solid #e4e4e4; white-space: nowrap; }
table.sensitivity th { background: #f2f4f7; }
table.sensitivity td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.sensitivity td.none { color: #aaa; text-align: center; }
p.sensitivity { font-size: 13px; color: #444; max-width: 900px; }
svg.chart path.curve { fill: none; stroke-width: 2; }
svg.chart circle.curve-point { stroke: #fff; stroke-width: 0.5; }
ul.legend { list-style: none; padding: 0; font-size: 13px; columns: 2; max-width: 600px; }
span.swatch { display: inline-block; width: 12px; height: 12px; margin-right: 6px; vertical-align: middle; }
)";

// Tableau 10: distinct at a glance, for up to ten curves.
const char* const kPalette[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                                "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};

// How the Pareto charts mark a point by the kind of its origin (origin_kind).
struct OriginStyle {
  const char* kind;
  const char* legend;
  Marker shape;
  const char* colour;
};
const OriginStyle kOriginStyles[] = {
    {"fp32", "fp32 (unquantized)", Marker::Square, "#7f7f7f"},
    {"uniform", "uniform bit-widths", Marker::Circle, "#4e79a7"},
    {"mixed", "mixed bit-widths (by hand)", Marker::Diamond, "#f28e2b"},
    {"select", "searched mix (qlhost select)", Marker::TriangleUp, "#59a14f"},
    {"learned", "learned bit-widths", Marker::TriangleDown, "#b07aa1"},
    {"other", "other origin", Marker::Plus, "#9c755f"},
    {"", "origin not known", Marker::Circle, "#bab0ac"},
};

const OriginStyle& origin_style(const std::string& origin) {
  const std::string kind = origin_kind(origin);
  for (const auto& style : kOriginStyles)
    if (kind == style.kind) return style;
  return kOriginStyles[std::size(kOriginStyles) - 1];
}

// "exp0003 (select weights=300KiB)": what a point is and where it came from.
std::string point_name(const LeaderboardRow& row) {
  return row.origin.empty() ? row.id() : row.id() + " (" + row.origin + ")";
}

// Every point is labelled when there are this few; beyond, only the front's.
constexpr std::size_t kLabelAllUpTo = 12;

std::string direction(const Leaderboard& board) {
  return board.higher_is_better ? "higher is better" : "lower is better";
}

// Tick labels with a unit prefix and no trailing zeros: "1G", "2.5M", "418 KB".
std::string tick_with_unit(double value, const std::string& unit) {
  std::string text = with_unit(value);
  const auto point = text.find('.');
  if (point != std::string::npos) {
    auto end = text.find_first_not_of("0123456789", point + 1);
    if (end == std::string::npos) end = text.size();
    auto last = end;
    while (last > point + 1 && text[last - 1] == '0') --last;
    if (last == point + 1) last = point;
    text.erase(last, end - last);
  }
  if (unit.empty()) return text;
  const bool prefixed = !text.empty() && std::isalpha(static_cast<unsigned char>(text.back()));
  return prefixed ? text.substr(0, text.size() - 1) + " " + text.back() + unit : text + " " + unit;
}

std::string leaderboard_table(const Leaderboard& board) {
  const auto headers = column_headers(board);
  std::string html = "<div class=\"table-wrap\">\n<table class=\"leaderboard\">\n<thead><tr>";
  for (const auto& header : headers) html += "<th>" + xml_escape(header) + "</th>";
  html += "</tr></thead>\n<tbody>\n";
  for (const auto& row : board.rows) {
    html += "<tr class=\"" + row.kind_name() + "\">";
    const auto cells = row_cells(board, row);
    for (std::size_t i = 0; i < cells.size(); ++i) {
      std::string css = numeric_column(board, i) ? "num" : config_column(board, i) ? "config" : "";
      if (i + 1 == cells.size()) css = "status-" + cells[i];
      html += (css.empty() ? "<td>" : "<td class=\"" + xml_escape(css) + "\">") + xml_escape(cells[i]) + "</td>";
    }
    html += "</tr>\n";
  }
  return html + "</tbody>\n</table>\n</div>\n";
}

// One point per experiment: Run rows and Folds rows.
bool experiment_level(const LeaderboardRow& row) { return row.kind != LeaderboardRow::Kind::Fold; }

std::string pareto_chart(const Leaderboard& board, const std::string& title, const std::string& cost_name,
                         const std::function<std::optional<double>(const LeaderboardRow&)>& cost_of,
                         const SvgChart::Formatter& cost_format) {
  std::vector<const LeaderboardRow*> rows;
  std::vector<TradeOff> points;
  for (const auto& row : board.rows) {
    const auto cost = cost_of(row);
    if (!experiment_level(row) || !cost || !row.best) continue;
    rows.push_back(&row);
    points.push_back({*cost, *row.best});
  }
  std::string html = "<figure class=\"pareto\">\n";
  if (points.empty())
    return html + "<p class=\"empty\">" + xml_escape(title) + ": no experiment has both a best " +
           xml_escape(board.metric) + " and a measured " + xml_escape(cost_name) + ".</p>\n</figure>\n";

  const SvgChart::Layout layout{600, 400};
  std::vector<double> xs, ys;
  for (const auto& point : points) {
    xs.push_back(point.cost);
    ys.push_back(point.metric);
  }
  SvgChart chart(layout, title, Axis::fit(xs, layout.x_from(), layout.x_to(), true), cost_name, cost_format,
                 Axis::fit(ys, layout.y_from(), layout.y_to(), false),
                 "best " + board.metric + " (" + direction(board) + ")", tick_text);
  const auto front = pareto_front(points, board.higher_is_better);
  std::vector<bool> on_front(points.size(), false);
  std::vector<std::pair<double, double>> line;
  for (const auto index : front) {
    on_front[index] = true;
    line.emplace_back(points[index].cost, points[index].metric);
  }
  chart.line(line, "front-line", "", "Pareto front");
  const auto describe = [&](std::size_t i) {
    return point_name(*rows[i]) + ": " + board.metric + " " + shortest(points[i].metric) + ", " + cost_name + " " +
           cost_format(points[i].cost);
  };
  const bool label_all = points.size() <= kLabelAllUpTo;
  std::vector<bool> kinds_drawn(std::size(kOriginStyles), false);
  const auto draw = [&](std::size_t i, bool optimal) {
    const OriginStyle& style = origin_style(rows[i]->origin);
    kinds_drawn[&style - kOriginStyles] = true;
    const std::string css =
        std::string(optimal ? "front" : "run") + " origin-" + (*style.kind ? style.kind : "unknown");
    chart.marker(points[i].cost, points[i].metric, style.shape, optimal ? 6 : 4.5, css,
                 describe(i) + (optimal ? " (Pareto-optimal)" : ""), style.colour);
    if (optimal || label_all)
      chart.label(points[i].cost, points[i].metric, point_name(*rows[i]), optimal ? "front-label" : "run-label");
  };
  for (std::size_t i = 0; i < points.size(); ++i)
    if (!on_front[i]) draw(i, false);
  std::string members;
  for (const auto index : front) {
    draw(index, true);
    members += (members.empty() ? "" : ", ") + describe(index);
  }
  html += chart.svg();
  html += "<ul class=\"origins\">\n";
  for (std::size_t k = 0; k < std::size(kOriginStyles); ++k) {
    if (!kinds_drawn[k]) continue;
    const OriginStyle& style = kOriginStyles[k];
    html += "<li><svg width=\"14\" height=\"14\" viewBox=\"0 0 14 14\" aria-hidden=\"true\">" +
            marker_element(style.shape, 7, 7, 5, "", style.colour) + "</svg>" + xml_escape(style.legend) + "</li>\n";
  }
  html += "<li><svg width=\"14\" height=\"14\" viewBox=\"0 0 14 14\" aria-hidden=\"true\">" +
          marker_element(Marker::Circle, 7, 7, 5, "front", "#fff") +
          "</svg>outlined: Pareto-optimal, joined by the front line</li>\n</ul>\n";
  html += "<figcaption>" + std::to_string(points.size()) + " experiment(s); " +
          (chart.x_axis().scale() == Axis::Scale::Log ? "log" : "linear") + " " + xml_escape(cost_name) +
          " axis. Pareto-optimal (no other experiment is as small and as good, and smaller or better): " +
          xml_escape(members) + ".</figcaption>\n</figure>\n";
  return html;
}

std::string learning_curves(const Leaderboard& board, std::size_t count) {
  std::vector<const LeaderboardRow*> runs;
  for (const auto& row : board.rows)
    if (row.kind != LeaderboardRow::Kind::Folds && !row.curve.empty() && runs.size() < count) runs.push_back(&row);
  if (runs.empty()) return "<p class=\"empty\">No run has logged a validation epoch yet.</p>\n";

  const SvgChart::Layout layout{820, 440};
  std::vector<double> epochs, values;
  for (const auto* run : runs)
    for (const auto& point : run->curve) {
      epochs.push_back(point.epoch);
      values.push_back(point.value);
    }
  SvgChart chart(layout, "validation " + board.metric + " per epoch (" + direction(board) + ")",
                 Axis::fit(epochs, layout.x_from(), layout.x_to(), false, 1), "epoch", tick_text,
                 Axis::fit(values, layout.y_from(), layout.y_to(), false), "valid " + board.metric, tick_text);
  std::string legend = "<ul class=\"legend\">\n";
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const std::string colour = kPalette[i % std::size(kPalette)];
    std::vector<std::pair<double, double>> line;
    for (const auto& point : runs[i]->curve) line.emplace_back(point.epoch, point.value);
    chart.line(line, "curve", colour, runs[i]->id());
    for (const auto& point : runs[i]->curve)
      chart.point(point.epoch, point.value, 3, "curve-point",
                  runs[i]->id() + " epoch " + std::to_string(point.epoch) + ": " + shortest(point.value), colour);
    legend += "<li><span class=\"swatch\" style=\"background:" + colour + "\"></span>" + xml_escape(runs[i]->id()) +
              "</li>\n";
  }
  return "<figure class=\"curves\">\n" + chart.svg() + "<figcaption>The " + std::to_string(runs.size()) +
         " best run(s) of the leaderboard.</figcaption>\n</figure>\n" + legend + "</ul>\n";
}

// White for no loss increase (or a decrease) to red for the table's largest
// increase, on a square-root scale so that small increases still show.
std::string heat_colour(const std::optional<double>& delta, double largest) {
  if (!delta || !std::isfinite(*delta) || !(largest > 0) || *delta <= 0) return "";
  const double t = std::sqrt(std::min(*delta / largest, 1.0));
  const auto channel = [t](int to) { return static_cast<int>(std::lround(255 - (255 - to) * t)); };
  char colour[32];
  std::snprintf(colour, sizeof colour, "rgb(255,%d,%d)", channel(87), channel(89));
  return colour;
}

std::string optional_text(const std::optional<double>& value, const std::string& unit = "") {
  if (!value || !std::isfinite(*value)) return "-";
  char text[32];
  std::snprintf(text, sizeof text, "%.4g", *value);
  return unit.empty() ? text : text + (" " + unit);
}

const SensitivityPoint* at_bits(const std::vector<SensitivityPoint>& points, int bits) {
  for (const auto& point : points)
    if (point.bits == bits) return &point;
  return nullptr;
}

// One cell: the loss increase with the SQNR under it, coloured by the increase.
std::string sensitivity_cell(const SensitivityPoint* point, double largest, const std::string& metric) {
  if (!point) return "<td class=\"none\">-</td>";
  const std::string colour = heat_colour(point->loss_delta, largest);
  std::string title = "loss " + optional_text(point->loss_delta) + ", " + metric + " " +
                      optional_text(point->metric_delta) + ", SQNR " + optional_text(point->sqnr_db, "dB");
  if (point->perturbation) title += ", perturbation " + optional_text(point->perturbation);
  return "<td class=\"num\"" + (colour.empty() ? std::string() : " style=\"background:" + colour + "\"") +
         " title=\"" + xml_escape(title) + "\">" + xml_escape(optional_text(point->loss_delta)) + "<br><small>" +
         xml_escape(optional_text(point->sqnr_db, "dB")) + "</small></td>";
}

std::string sensitivity_table(const Sensitivity& s) {
  double largest = 0;
  for (const auto& layer : s.layers)
    for (const auto* points : {&layer.weights, &layer.activations})
      for (const auto& point : *points)
        if (point.loss_delta && std::isfinite(*point.loss_delta)) largest = std::max(largest, *point.loss_delta);
  std::string html = "<h3>" + xml_escape(Logbook::experiment_name(s.experiment)) + " fold " +
                     std::to_string(s.fold) + "</h3>\n<p class=\"sensitivity\">" + xml_escape(s.checkpoint) +
                     " checkpoint" + (s.samples ? ", " + std::to_string(*s.samples) + " samples" : "") +
                     "; baseline loss " + xml_escape(optional_text(s.baseline_loss)) + ", " + xml_escape(s.metric) +
                     " " + xml_escape(optional_text(s.baseline_metric)) + ".</p>\n";
  html += "<div class=\"table-wrap\">\n<table class=\"sensitivity\">\n<thead><tr><th rowspan=\"2\">layer</th>"
          "<th rowspan=\"2\">type</th><th rowspan=\"2\">parameters</th><th rowspan=\"2\">Hessian trace</th>"
          "<th colspan=\"" + std::to_string(s.bits.size()) + "\">weights: loss increase, SQNR</th>"
          "<th rowspan=\"2\">activation</th><th colspan=\"" + std::to_string(s.bits.size()) +
          "\">activation: loss increase, SQNR</th></tr>\n<tr>";
  for (int pass = 0; pass < 2; ++pass)
    for (const int bits : s.bits) html += std::string("<th>") + (pass ? "A" : "W") + std::to_string(bits) + "</th>";
  html += "</tr></thead>\n<tbody>\n";
  for (const auto& layer : s.layers) {
    html += "<tr><td>" + xml_escape(layer.name) + "</td><td>" + xml_escape(layer.type) + "</td><td class=\"num\">" +
            (layer.parameters ? xml_escape(with_unit(static_cast<double>(*layer.parameters))) : "-") +
            "</td><td class=\"num\">" + xml_escape(optional_text(layer.hessian_trace)) + "</td>";
    for (const int bits : s.bits) html += sensitivity_cell(at_bits(layer.weights, bits), largest, s.metric);
    html += "<td>" + xml_escape(layer.activation.value_or("-")) + "</td>";
    for (const int bits : s.bits)
      html += layer.activation ? sensitivity_cell(at_bits(layer.activations, bits), largest, s.metric)
                               : "<td class=\"none\">-</td>";
    html += "</tr>\n";
  }
  return html + "</tbody>\n</table>\n</div>\n";
}

// Each compared experiment's sensitivity.json, or nothing when none has one.
std::string sensitivity_section(const Leaderboard& board) {
  if (board.sensitivities.empty()) return "";
  std::string html = "<h2 id=\"sensitivity\">Sensitivity</h2>\n<p class=\"sensitivity\">Each layer's weights, "
                     "and the activation feeding it, quantized alone at each bit-width (<code>qlhost sensitivity"
                     "</code>): the increase of the loss over the unquantized network, and under it the SQNR of the "
                     "quantized tensor; the darker the red, the larger the increase (hover a cell for the metric's "
                     "change). The Hessian trace (Hutchinson's estimate) weighs how much a layer's loss reacts to "
                     "a perturbation of its weights.</p>\n";
  for (const auto& sensitivity : board.sensitivities) html += sensitivity_table(sensitivity);
  return html;
}

}  // namespace

std::string html_report(const Leaderboard& board, const ReportOptions& options) {
  std::size_t experiments = 0;
  for (const auto& row : board.rows) experiments += experiment_level(row) ? 1 : 0;
  std::string html = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>QuantLab report: " +
                     xml_escape(board.problem) + "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n";
  html += "<h1>QuantLab report: " + xml_escape(board.problem) + "</h1>\n<p class=\"meta\">" +
          std::to_string(experiments) + " experiment(s)" + xml_escape(options.selection) +
          ", ranked by their best validation " + xml_escape(board.metric) + " (" + direction(board) + ")" +
          (options.generated.empty() ? "" : "; generated " + xml_escape(options.generated)) + ".</p>\n";
  if (!board.notes.empty()) {
    html += "<ul class=\"notes\">\n";
    for (const auto& note : board.notes) html += "<li>" + xml_escape(note) + "</li>\n";
    html += "</ul>\n";
  }
  html += "<h2 id=\"leaderboard\">Leaderboard</h2>\n" + leaderboard_table(board);
  html += "<h2 id=\"pareto\">Pareto fronts</h2>\n<div class=\"charts\">\n";
  html += pareto_chart(
      board, "best " + board.metric + " vs model size", "model size",
      [](const LeaderboardRow& row) -> std::optional<double> {
        if (!row.size_bytes) return std::nullopt;
        return static_cast<double>(*row.size_bytes);
      },
      [](double bytes) { return tick_with_unit(bytes, "B"); });
  html += pareto_chart(
      board, "best " + board.metric + " vs bit-operations", "BOPs per sample",
      [](const LeaderboardRow& row) -> std::optional<double> {
        if (!row.bops) return std::nullopt;
        return static_cast<double>(*row.bops);
      },
      [](double bops) { return tick_with_unit(bops, ""); });
  html += "</div>\n<h2 id=\"curves\">Learning curves</h2>\n" + learning_curves(board, options.curves);
  html += sensitivity_section(board);
  return html + "</body>\n</html>\n";
}

}  // namespace quantlab::compare
