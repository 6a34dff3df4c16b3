#include "models/fleet/declared_series.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace wsfleet::models::timeseries {

namespace {
std::vector<std::string> names_of(const std::vector<const Column*>& columns) {
  std::vector<std::string> out;
  for (const Column* c : columns) out.push_back(c->name);
  return out;
}

std::string where(const Column& c) { return std::string(scope_name(c.scope)) + " column " + c.name; }
}  // namespace

DeclaredSeries::DeclaredSeries(std::vector<const Column*> columns)
    : columns_(std::move(columns)),
      row_(columns_.size(), 0.0),
      filled_(columns_.size(), 0),
      unfilled_(columns_.size()),
      series_(names_of(columns_)) {
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    if (!position_.emplace(columns_[i], i).second) throw std::logic_error(where(*columns_[i]) + " gathered twice");
  }
}

void DeclaredSeries::set(const Column& column, double value) {
  const auto it = position_.find(&column);
  if (it == position_.end()) throw std::logic_error(where(column) + " written but not declared for this run");
  if (filled_[it->second] != 0) throw std::logic_error(where(column) + " written twice in one row");
  filled_[it->second] = 1;
  --unfilled_;
  row_[it->second] = value;
}

void DeclaredSeries::end_row() {
  if (unfilled_ != 0) {
    std::string missing;
    for (std::size_t i = 0; i < columns_.size(); ++i) {
      if (filled_[i] == 0) missing += (missing.empty() ? "" : ", ") + where(*columns_[i]);
    }
    throw std::logic_error("a time-series row without " + missing);
  }
  series_.append(row_);
  std::fill(filled_.begin(), filled_.end(), std::uint8_t{0});
  unfilled_ = columns_.size();
}

}  // namespace wsfleet::models::timeseries
