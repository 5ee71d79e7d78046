#pragma once
// A leaderboard written out: an aligned text table for the terminal, CSV with
// a header row and JSON (an array of objects) for other tools, and the cells
// the HTML report shows, which are the table's.
#include <string>
#include <vector>

#include "manager/compare/Leaderboard.h"

namespace quantlab::compare {

enum class Format { Table, Csv, Json };

// "table", "csv" or "json"; UserError naming the option and the choices otherwise.
Format parse_format(const std::string& text);

// The table's columns: id, topology, the differing keys, recipe, bits, origin, best
// and last metric, epoch of best, epochs, size, BOPs, train time, status.
std::vector<std::string> column_headers(const Leaderboard& board);
// A row's cells for people: metrics with the decimals that give the board's
// largest value 4 significant digits ("0.0780 ± 0.0040" on a Folds row),
// sizes and BOPs with a unit prefix, times as h:mm:ss, "-" for what is not
// known.
std::vector<std::string> row_cells(const Leaderboard& board, const LeaderboardRow& row);
// Whether the column right-aligns (numbers).
bool numeric_column(const Leaderboard& board, std::size_t column);
// Whether the column holds a differing config key's values.
bool config_column(const Leaderboard& board, std::size_t column);

// Columns separated by two spaces, padded to their widest cell; config values
// longer than 40 characters end in "…".
std::string format_table(const Leaderboard& board);
// Exact values: full-precision numbers, sizes in bytes, times in seconds;
// empty fields for what is not known.
std::string format_csv(const Leaderboard& board);
// One object per row; the differing keys under "config", typed as YAML read them.
std::string format_json(const Leaderboard& board);

std::string format_leaderboard(const Leaderboard& board, Format format);

}  // namespace quantlab::compare
