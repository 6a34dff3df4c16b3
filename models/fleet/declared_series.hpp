#pragma once
// A time series whose columns are declarations (models/fleet/column.hpp): a row is filled cell by
// declared column, in any order, by whichever components write it, and appended only when every
// cell was filled exactly once. A cell written for a column this series does not hold, twice, or
// not at all is a bug of the writer, stopped at the first row rather than written.
#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "models/fleet/column.hpp"
#include "sim/time_series.hpp"

namespace wsfleet::models::timeseries {

/// One kind of row of a run's time series, written by declared column.
class DeclaredSeries {
 public:
  DeclaredSeries() = default;
  /// A series of these columns, in this order (empty: the run writes no row of this kind).
  explicit DeclaredSeries(std::vector<const Column*> columns);

  /// Fills the current row's cell of `column`.
  void set(const Column& column, double value);
  /// Appends the current row (every cell filled) and starts the next.
  void end_row();
  /// Whether the series holds `column` (the run writes it).
  [[nodiscard]] bool holds(const Column& column) const { return position_.count(&column) > 0; }
  [[nodiscard]] const std::vector<const Column*>& columns() const { return columns_; }
  /// Hands over the written rows.
  sim::TimeSeries take() { return std::move(series_); }

 private:
  std::vector<const Column*> columns_;
  std::unordered_map<const Column*, std::size_t> position_;
  std::vector<double> row_;
  std::vector<std::uint8_t> filled_;
  std::size_t unfilled_ = 0;
  sim::TimeSeries series_;
};

}  // namespace wsfleet::models::timeseries
