#pragma once
// A sorted ring of (hash, backend) points, for the consistent-hashing policies.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace wsfleet::models {

/// Points sorted by hash (equal hashes keep their insertion order). Lookups are O(log points).
class HashRing {
 public:
  struct Point {
    std::uint64_t hash;
    std::size_t backend;
  };
  void clear() { points_.clear(); }
  void add(std::uint64_t hash, std::size_t backend) { points_.push_back(Point{hash, backend}); }
  /// Sorts the points (stable: equal hashes stay in insertion order).
  void sort() {
    std::stable_sort(points_.begin(), points_.end(), [](const Point& a, const Point& b) { return a.hash < b.hash; });
  }
  /// Keeps only the first point of each run of equal hashes (NGINX drops duplicate points).
  void drop_duplicate_hashes() {
    points_.erase(std::unique(points_.begin(), points_.end(), [](const Point& a, const Point& b) { return a.hash == b.hash; }),
                  points_.end());
  }
  bool empty() const { return points_.empty(); }
  std::size_t size() const { return points_.size(); }
  const Point& at(std::size_t position) const { return points_[position % points_.size()]; }
  /// Position of the first point with hash >= h, wrapping to 0 past the end. Ring must be non-empty.
  std::size_t first_at_or_after(std::uint64_t h) const {
    const auto it = std::lower_bound(points_.begin(), points_.end(), h, [](const Point& p, std::uint64_t v) { return p.hash < v; });
    return it == points_.end() ? 0 : static_cast<std::size_t>(it - points_.begin());
  }
  const std::vector<Point>& points() const { return points_; }

 private:
  std::vector<Point> points_;
};

}  // namespace wsfleet::models
