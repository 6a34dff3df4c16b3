#include "experiments/scenario_overrides.hpp"

#include <utility>
#include <cstddef>
#include <string_view>
#include <vector>

#include "experiments/scenario_error.hpp"
#include "experiments/toml_depth.hpp"
#include "experiments/toml_text.hpp"

namespace wsfleet::experiments {

namespace {

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t\r\n");
  return s.substr(first, last - first + 1);
}

bool is_bare_key(std::string_view s) {
  if (s.empty()) return false;
  for (const char c : s) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool is_index(std::string_view s) {
  if (s.empty()) return false;
  for (const char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// A decimal integer as TOML writes one: an optional sign, digits and single underscores between them.
bool is_integer_literal(std::string_view s) {
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) s.remove_prefix(1);
  if (s.empty() || s.front() == '_' || s.back() == '_') return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '_' && s[i + 1] == '_') return false;
    if (s[i] != '_' && (s[i] < '0' || s[i] > '9')) return false;
  }
  return true;
}

// Indices longer than this are out of range of any array a scenario can hold.
constexpr std::size_t kMaxIndexDigits = 9;

std::size_t parse_index(std::string_view s) {
  std::size_t value = 0;
  for (const char c : s) value = value * 10 + static_cast<std::size_t>(c - '0');
  return value;
}

// One override being applied: its text (the source of everything it adds) and its parts.
class Override {
 public:
  // The override names itself in messages as given; ScenarioError puts every message on one line.
  explicit Override(const std::string& text) : origin_(std::string(kOverrideSourcePrefix) + text) {
    const auto eq = text.find('=');
    if (eq == std::string::npos) fail("expected KEY=VALUE, e.g. clients.count=5000");
    key_ = std::string(trim(std::string_view(text).substr(0, eq)));
    if (key_.size() > kMaxOverrideKeyChars) {  // named by its start: the whole text could be megabytes
      throw ScenarioError(std::string(kOverrideSourcePrefix) + key_.substr(0, 40) + "...", 0, 0, "",
                          "the key is longer than " + std::to_string(kMaxOverrideKeyChars) +
                              " characters (valid keys are well under 100)");
    }
    value_text_ = std::string(trim(std::string_view(text).substr(eq + 1)));
    std::string_view rest = key_;
    while (true) {
      const auto dot = rest.find('.');
      segments_.emplace_back(rest.substr(0, dot));
      if (dot == std::string_view::npos) break;
      rest = rest.substr(dot + 1);
    }
    if (segments_.size() > kMaxTomlDepth) {
      fail("the key has " + std::to_string(segments_.size()) + " parts: at most " + std::to_string(kMaxTomlDepth) +
           " are allowed (valid keys have a handful)");
    }
    for (const auto& segment : segments_) {
      if (!is_bare_key(segment)) {
        fail("invalid key '" + key_ + "': use a dotted path of names made of letters, digits, '_' and '-', "
             "such as clients.count or faults.0.at_s");
      }
    }
  }

  void apply(toml::table& root) {
    toml::table value_doc = parse_value();
    toml::node& value = *value_doc.get("v");
    toml::node* current = &root;
    std::string path;  // the dotted path walked so far, for messages
    for (std::size_t i = 0; i < segments_.size(); ++i) {
      const std::string& segment = segments_[i];
      const bool last = i + 1 == segments_.size();
      if (auto* table = current->as_table()) {
        if (last) {
          table->insert_or_assign(segment, std::move(value));
          return;
        }
        if (table->get(segment) == nullptr) {
          toml::table holder = container_holder(segments_[i + 1]);
          table->insert_or_assign(segment, std::move(*holder.get("v")));
        }
        current = table->get(segment);
      } else if (auto* array = current->as_array()) {
        if (!is_index(segment)) {
          // An array of named tables ([[fleet.classes]], [[topology.sites]]): select by name.
          current = named_entry(*array, segment, path);
          path += "." + segment;
          if (last) fail("'" + path + "' is a table: set one of its keys, e.g. " + path + ".servers");
          continue;
        }
        const std::size_t size = array->size();
        if (segment.size() > kMaxIndexDigits || parse_index(segment) > size) {
          fail("index " + segment + " is out of range: '" + path + "' has " + std::to_string(size) +
               (size == 1 ? " entry" : " entries") + " (use 0 to " + std::to_string(size) +
               "; index " + std::to_string(size) + " appends one)");
        }
        const std::size_t index = parse_index(segment);
        if (last) {
          if (index == size) {
            array->push_back(std::move(value));
          } else {
            array->replace(array->cbegin() + static_cast<std::ptrdiff_t>(index), std::move(value));
          }
          return;
        }
        if (index == size) {
          toml::table holder = container_holder(segments_[i + 1]);
          array->push_back(std::move(*holder.get("v")));
        }
        current = array->get(index);
      } else {
        fail("'" + path + "' is " + toml_type_with_article(current->type()) +
             ", not a table: nothing inside it can be set");
      }
      path += (path.empty() ? "" : ".") + segment;
    }
  }

 private:
  [[noreturn]] void fail(const std::string& message) const { throw ScenarioError(origin_, 0, 0, key_, message); }

  // The entry of `array` whose `name` is `name` (the first one).
  toml::node* named_entry(toml::array& array, const std::string& name, const std::string& path) const {
    std::vector<std::string> names;
    for (toml::node& entry : array) {
      const toml::table* table = entry.as_table();
      const toml::node* entry_name = table != nullptr ? table->get("name") : nullptr;
      if (entry_name == nullptr || !entry_name->is_string()) continue;
      const std::string& text = entry_name->as_string()->get();
      if (text == name) return &entry;
      names.push_back(text);
    }
    if (names.empty()) fail("'" + path + "' is an array: select an entry by its index, e.g. " + path + ".0");
    const std::string message = "'" + path + "' has no entry named '" + name + "'";
    std::string list;
    for (const std::string& n : names) list += (list.empty() ? "" : ", ") + n;
    fail(message + " (names: " + list + "); select an entry by its name or its index, e.g. " + path + ".0");
  }

  // {"v": value}, parsed with the override as its source path.
  toml::table parse_value() const {
    try {
      check_toml_depth("v = " + value_text_, origin_, segments_.size() - 1);  // the value sits under the key
    } catch (const ScenarioError& e) {
      fail("the value is " + e.message());  // no position: "v = " is not what the user typed
    }
    try {
      toml::table doc = toml::parse("v = " + value_text_, std::string(origin_));
      if (doc.size() == 1 && doc.contains("v")) return doc;
    } catch (const toml::parse_error&) {
      // Not one TOML value: a bare word, taken as a string below.
    }
    if (is_integer_literal(value_text_)) {
      // toml++ refuses decimal integers beyond 64 bits; say so rather than taking it for a word.
      fail(key_ + " = " + value_text_ + " is out of range: an integer must be between -9223372036854775808 and "
           "9223372036854775807");
    }
    try {
      return toml::parse("v = " + toml_string(value_text_), std::string(origin_));
    } catch (const toml::parse_error& e) {
      fail("the value is not valid text: " + std::string(e.description()));
    }
  }

  // {"v": an empty array (when `next_segment` is an index) or table}, with the override as source.
  toml::table container_holder(const std::string& next_segment) const {
    return toml::parse(is_index(next_segment) ? "v = []" : "v = {}", std::string(origin_));
  }

  std::string origin_;
  std::string key_;
  std::string value_text_;
  std::vector<std::string> segments_;
};

}  // namespace

void apply_override(toml::table& root, const std::string& override_text) {
  Override(override_text).apply(root);
}

}  // namespace wsfleet::experiments
