#pragma once
// A tidy table of samples: named numeric columns, one row appended per sample (and per entity).
#include <cstddef>
#include <initializer_list>
#include <string>
#include <vector>

namespace wsfleet::sim {

/// Column-major table of doubles. NaN marks "no value" (e.g. a latency with no samples).
class TimeSeries {
 public:
  TimeSeries() = default;
  explicit TimeSeries(std::vector<std::string> columns);

  /// Appends one row; `values` must have one value per column (throws std::invalid_argument otherwise).
  void append(std::initializer_list<double> values);
  /// Appends one row from a vector.
  void append(const std::vector<double>& values);

  const std::vector<std::string>& columns() const { return names_; }
  std::size_t rows() const { return data_.empty() ? 0 : data_.front().size(); }
  /// All values of column `c` (by position).
  const std::vector<double>& column(std::size_t c) const { return data_.at(c); }
  /// All values of the named column (throws std::out_of_range for an unknown name).
  const std::vector<double>& column(const std::string& name) const;
  /// Position of a named column (throws std::out_of_range).
  std::size_t index_of(const std::string& name) const;
  /// Reserves room for `rows` rows.
  void reserve(std::size_t rows);

 private:
  std::vector<std::string> names_;
  std::vector<std::vector<double>> data_;
};

}  // namespace wsfleet::sim
