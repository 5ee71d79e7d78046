#include "manager/compare/LeaderboardFormat.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "quantlab/Text.h"
#include "quantlab/Errors.h"

namespace quantlab::compare {

namespace {

// Columns before the differing keys (id, topology), and after them the text
// columns before the numbers (recipe, bits, origin).
constexpr std::size_t kLeadingColumns = 2;
constexpr std::size_t kTextColumnsAfterKeys = 3;

// Decimals that give the board's largest metric value 4 significant digits
// (an error in percent: 7.80; as a fraction: 0.0780), so that every row of a
// column has the same number of them.
int metric_decimals(const Leaderboard& board) {
  double largest = 0;
  for (const auto& row : board.rows)
    for (const auto& value : {row.best, row.last})
      if (value && std::isfinite(*value)) largest = std::max(largest, std::fabs(*value));
  if (largest == 0) return 4;
  return std::clamp(3 - static_cast<int>(std::floor(std::log10(largest))), 0, 6);
}

std::string metric_text(const std::optional<double>& value, const std::optional<double>& deviation, int decimals) {
  if (!value) return "-";
  char text[64];
  if (deviation)
    std::snprintf(text, sizeof text, "%.*f \u00b1 %.*f", decimals, *value, decimals, *deviation);
  else
    std::snprintf(text, sizeof text, "%.*f", decimals, *value);
  return text;
}

// Characters on screen: UTF-8 continuation bytes take no column.
std::size_t display_width(const std::string& text) {
  std::size_t width = 0;
  for (const char c : text)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++width;
  return width;
}

// A terminal table stays readable when a key holds a long value (a recipe's
// rule list); csv and json carry it whole.
constexpr std::size_t kTableValueWidth = 40;

std::string shortened(const std::string& text, std::size_t width) {
  if (display_width(text) <= width) return text;
  std::string out;
  std::size_t shown = 0;
  for (const char c : text) {
    const bool starts_character = (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    if (starts_character && ++shown == width) break;
    out += c;
  }
  return out + "\u2026";
}

template <typename T> std::string optional_number(const std::optional<T>& value) {
  if (!value) return "";
  if constexpr (std::is_floating_point_v<T>)
    return shortest(*value);
  else
    return std::to_string(*value);
}

std::string json_number(double value) { return std::isfinite(value) ? shortest(value) : "null"; }

template <typename T> std::string json_optional(const std::optional<T>& value) {
  if (!value) return "null";
  if constexpr (std::is_floating_point_v<T>)
    return json_number(*value);
  else
    return std::to_string(*value);
}

// An integer as flatten_config writes one: optional minus, no leading zeros.
bool canonical_integer(const std::string& text) {
  const std::size_t digits = text.rfind('-', 0) == 0 ? 1 : 0;
  if (text.size() == digits || text.find_first_not_of("0123456789", digits) != std::string::npos) return false;
  return text[digits] != '0' || text.size() == digits + 1;
}

// A flattened config value as JSON: numbers, booleans and null as themselves;
// anything else (strings, flow sequences) as a string. flatten_config writes
// numbers canonically, so a number in another spelling was a quoted string.
std::string json_config_value(const std::string& text) {
  if (text == "null" || text == "true" || text == "false" || canonical_integer(text)) return text;
  double number;
  const auto result = std::from_chars(text.data(), text.data() + text.size(), number);
  const bool whole = result.ec == std::errc() && result.ptr == text.data() + text.size();
  return whole && std::isfinite(number) && shortest(number) == text ? text : json_string(text);
}

}  // namespace

Format parse_format(const std::string& text) {
  if (text == "table") return Format::Table;
  if (text == "csv") return Format::Csv;
  if (text == "json") return Format::Json;
  throw UserError("--format " + text + ": expected table, csv or json");
}

std::vector<std::string> column_headers(const Leaderboard& board) {
  std::vector<std::string> headers{"id", "topology"};
  headers.insert(headers.end(), board.differing_keys.begin(), board.differing_keys.end());
  headers.insert(headers.end(), {"recipe", "bits", "origin", "best " + board.metric, "last " + board.metric,
                                 "best epoch", "epochs", "size", "BOPs", "train time", "status"});
  return headers;
}

bool numeric_column(const Leaderboard& board, std::size_t column) {
  // Numbers run from the best metric up to the train time; status is text.
  const std::size_t first_number = kLeadingColumns + board.differing_keys.size() + kTextColumnsAfterKeys;
  return column >= first_number && column + 1 < column_headers(board).size();
}

bool config_column(const Leaderboard& board, std::size_t column) {
  return column >= kLeadingColumns && column < kLeadingColumns + board.differing_keys.size();
}

std::vector<std::string> row_cells(const Leaderboard& board, const LeaderboardRow& row) {
  const int decimals = metric_decimals(board);
  std::vector<std::string> cells{row.id(), row.topology};
  cells.insert(cells.end(), row.values.begin(), row.values.end());
  cells.push_back(row.recipe);
  cells.push_back(row.bits.empty() ? "-" : row.bits);
  cells.push_back(row.origin.empty() ? "-" : row.origin);
  cells.push_back(metric_text(row.best, row.best_std, decimals));
  cells.push_back(metric_text(row.last, row.last_std, decimals));
  cells.push_back(row.best_epoch ? std::to_string(*row.best_epoch) : "-");
  cells.push_back(std::to_string(row.epochs_done) + "/" + std::to_string(row.n_epochs));
  cells.push_back(row.size_bytes ? with_unit(static_cast<double>(*row.size_bytes), "B") : "-");
  cells.push_back(row.bops ? with_unit(static_cast<double>(*row.bops)) : "-");
  cells.push_back(row.train_seconds ? clock_text(*row.train_seconds) : "-");
  cells.push_back(row.status);
  return cells;
}

std::string format_table(const Leaderboard& board) {
  const std::vector<std::string> headers = column_headers(board);
  std::vector<std::vector<std::string>> lines{headers};
  for (const auto& row : board.rows) {
    auto cells = row_cells(board, row);
    for (std::size_t k = 0; k < board.differing_keys.size(); ++k)
      cells[kLeadingColumns + k] = shortened(cells[kLeadingColumns + k], kTableValueWidth);
    lines.push_back(std::move(cells));
  }
  std::vector<std::size_t> widths(headers.size(), 0);
  for (const auto& cells : lines)
    for (std::size_t i = 0; i < cells.size(); ++i) widths[i] = std::max(widths[i], display_width(cells[i]));
  std::string out;
  for (const auto& cells : lines) {
    std::string line;
    for (std::size_t i = 0; i < cells.size(); ++i) {
      const std::string padding(widths[i] - display_width(cells[i]), ' ');
      if (i > 0) line += "  ";
      line += numeric_column(board, i) ? padding + cells[i] : cells[i] + padding;
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

std::string format_csv(const Leaderboard& board) {
  std::vector<std::string> headers{"id", "experiment", "fold", "topology"};
  headers.insert(headers.end(), board.differing_keys.begin(), board.differing_keys.end());
  headers.insert(headers.end(), {"recipe", "bits", "origin", "metric", "best", "best_std", "last", "last_std",
                                 "best_epoch", "epochs_done", "n_epochs", "size_bytes", "bops", "train_seconds",
                                 "status"});
  const auto line = [](const std::vector<std::string>& fields) {
    std::string text;
    for (std::size_t i = 0; i < fields.size(); ++i) text += (i ? "," : "") + csv_field(fields[i]);
    return text + "\n";
  };
  std::string out = line(headers);
  for (const auto& row : board.rows) {
    std::vector<std::string> fields{row.id(), std::to_string(row.experiment), optional_number(row.fold),
                                    row.topology};
    fields.insert(fields.end(), row.values.begin(), row.values.end());
    fields.insert(fields.end(),
                  {row.recipe, row.bits, row.origin, board.metric, optional_number(row.best),
                   optional_number(row.best_std),
                   optional_number(row.last), optional_number(row.last_std), optional_number(row.best_epoch),
                   std::to_string(row.epochs_done), std::to_string(row.n_epochs), optional_number(row.size_bytes),
                   optional_number(row.bops), optional_number(row.train_seconds), row.status});
    out += line(fields);
  }
  return out;
}

std::string format_json(const Leaderboard& board) {
  std::string out = "[";
  for (std::size_t r = 0; r < board.rows.size(); ++r) {
    const LeaderboardRow& row = board.rows[r];
    std::string config;
    for (std::size_t k = 0; k < board.differing_keys.size(); ++k) {
      if (row.values[k] == kAbsentValue) continue;
      config += (config.empty() ? "" : ", ") + json_string(board.differing_keys[k]) + ": " +
                json_config_value(row.values[k]);
    }
    out += std::string(r ? ",\n " : "\n ") + "{\"id\": " + json_string(row.id()) +
           ", \"kind\": " + json_string(row.kind_name()) + ", \"experiment\": " + std::to_string(row.experiment) +
           ", \"fold\": " + json_optional(row.fold) + ", \"n_folds\": " + std::to_string(row.n_folds) +
           ", \"topology\": " + json_string(row.topology) + ", \"config\": {" + config + "}" +
           ", \"recipe\": " + json_string(row.recipe) + ", \"bits\": " + json_string(row.bits) +
           ", \"origin\": " + json_string(row.origin) +
           ", \"metric\": " + json_string(board.metric) +
           ", \"higher_is_better\": " + (board.higher_is_better ? "true" : "false") +
           ", \"best\": " + json_optional(row.best) + ", \"best_std\": " + json_optional(row.best_std) +
           ", \"last\": " + json_optional(row.last) + ", \"last_std\": " + json_optional(row.last_std) +
           ", \"best_epoch\": " + json_optional(row.best_epoch) + ", \"epochs_done\": " +
           std::to_string(row.epochs_done) + ", \"n_epochs\": " + std::to_string(row.n_epochs) +
           ", \"size_bytes\": " + json_optional(row.size_bytes) + ", \"bops\": " + json_optional(row.bops) +
           ", \"train_seconds\": " + json_optional(row.train_seconds) + ", \"status\": " + json_string(row.status) +
           "}";
  }
  return out + (board.rows.empty() ? "]\n" : "\n]\n");
}

std::string format_leaderboard(const Leaderboard& board, Format format) {
  switch (format) {
    case Format::Table: return format_table(board);
    case Format::Csv: return format_csv(board);
    case Format::Json: return format_json(board);
  }
  return format_table(board);
}

}  // namespace quantlab::compare
