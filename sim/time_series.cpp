#include "sim/time_series.hpp"

#include <utility>
#include <stdexcept>

namespace wsfleet::sim {

TimeSeries::TimeSeries(std::vector<std::string> columns) : names_(std::move(columns)), data_(names_.size()) {}

void TimeSeries::append(std::initializer_list<double> values) {
  if (values.size() != names_.size()) throw std::invalid_argument("TimeSeries::append: wrong number of values");
  std::size_t c = 0;
  for (double v : values) data_[c++].push_back(v);
}

void TimeSeries::append(const std::vector<double>& values) {
  if (values.size() != names_.size()) throw std::invalid_argument("TimeSeries::append: wrong number of values");
  for (std::size_t c = 0; c < values.size(); ++c) data_[c].push_back(values[c]);
}

const std::vector<double>& TimeSeries::column(const std::string& name) const { return data_[index_of(name)]; }

std::size_t TimeSeries::index_of(const std::string& name) const {
  for (std::size_t c = 0; c < names_.size(); ++c) {
    if (names_[c] == name) return c;
  }
  throw std::out_of_range("TimeSeries: no column named '" + name + "'");
}

void TimeSeries::reserve(std::size_t rows) {
  for (auto& col : data_) col.reserve(rows);
}

}  // namespace wsfleet::sim
