#include "experiments/toml_depth.hpp"

#include <string>
#include <vector>

#include "experiments/scenario_error.hpp"

namespace wsfleet::experiments {

namespace {

// One pass over the text with an explicit stack of the open arrays and inline tables: it knows
// only enough TOML to tell keys from values and strings and comments from structure.
class DepthScan {
 public:
  DepthScan(std::string_view text, std::string_view source, std::size_t base)
      : text_(text), source_(source), table_depth_(base), base_(base) {}

  void run() {
    while (i_ < text_.size()) {
      const char c = text_[i_];
      if (c == '#') {
        skip_comment();
      } else if (c == '"' || c == '\'') {
        if (expect_key_ && key_parts_ == 0) add_key_part();  // a quoted key's first part
        skip_string();
      } else if (c == '\n') {
        if (frames_.empty()) {  // a top-level line ends: the next one starts with a key or a header
          expect_key_ = true;
          key_parts_ = 0;
        }
        advance();
      } else if (c == ' ' || c == '\t' || c == '\r') {
        advance();
      } else if (expect_key_) {
        key_char(c);
      } else {
        value_char(c);
      }
    }
  }

 private:
  struct Frame {
    bool inline_table;   // else an array
    std::size_t depth;   // depth of the container itself
  };

  void advance() {
    const auto byte = static_cast<unsigned char>(text_[i_]);
    if (byte == '\n') {
      ++line_;
      column_ = 1;
    } else if ((byte & 0xC0u) != 0x80u) {  // count code points, not UTF-8 continuation bytes
      ++column_;
    }
    ++i_;
  }

  // The depth a key's value starts from: the enclosing inline table's, or the current table's.
  std::size_t key_base() const { return frames_.empty() ? table_depth_ : frames_.back().depth; }

  void key_char(char c) {
    if (frames_.empty() && key_parts_ == 0 && c == '[') return header();
    if (c == '=') {
      value_depth_ = key_base() + key_parts_;
      expect_key_ = false;
      key_parts_ = 0;
      advance();
      return;
    }
    if (c == '}' && !frames_.empty()) {  // an empty inline table, or a trailing separator
      expect_key_ = false;
      return value_char(c);
    }
    if (key_parts_ == 0 || c == '.') add_key_part();
    advance();
  }

  void add_key_part() {
    ++key_parts_;
    require(key_base() + key_parts_);
  }

  // `[a.b.c]` or `[[a.b.c]]`: the new current table's depth (an array of tables adds its entry).
  void header() {
    std::size_t parts = 1;
    advance();
    const bool array = i_ < text_.size() && text_[i_] == '[';
    if (array) advance();
    table_depth_ = base_ + (array ? 1 : 0);
    require(table_depth_ + parts);
    while (i_ < text_.size() && text_[i_] != ']' && text_[i_] != '\n') {
      if (text_[i_] == '"' || text_[i_] == '\'') {
        skip_string();
        continue;
      }
      if (text_[i_] == '.') require(table_depth_ + ++parts);
      advance();
    }
    table_depth_ += parts;
    while (i_ < text_.size() && text_[i_] == ']') advance();
  }

  void value_char(char c) {
    if (c == '[') {
      frames_.push_back({false, value_depth_});
      require(value_depth_ + 1);
      value_depth_ += 1;  // its elements
    } else if (c == '{') {
      frames_.push_back({true, value_depth_});
      expect_key_ = true;
      key_parts_ = 0;
    } else if (c == ']' || c == '}') {
      if (!frames_.empty()) frames_.pop_back();
      if (!frames_.empty() && !frames_.back().inline_table) value_depth_ = frames_.back().depth + 1;
    } else if (c == ',' && !frames_.empty()) {
      if (frames_.back().inline_table) {
        expect_key_ = true;
        key_parts_ = 0;
      } else {
        value_depth_ = frames_.back().depth + 1;
      }
    }
    advance();
  }

  void skip_comment() {
    while (i_ < text_.size() && text_[i_] != '\n') advance();
  }

  // A string (a value or a quoted key part): one-line or multi-line, basic (with escapes) or literal.
  void skip_string() {
    const char quote = text_[i_];
    const bool multi = text_.substr(i_, 3) == std::string_view(quote == '"' ? "\"\"\"" : "'''");
    for (int k = 0; k < (multi ? 3 : 1); ++k) advance();
    while (i_ < text_.size()) {
      const char c = text_[i_];
      if (c == '\\' && quote == '"') {
        advance();
        if (i_ < text_.size()) advance();
        continue;
      }
      if (c == '\n' && !multi) return;  // unterminated: the parser will say so
      if (c == quote && (!multi || text_.substr(i_, 3) == std::string_view(quote == '"' ? "\"\"\"" : "'''"))) {
        for (int k = 0; k < (multi ? 3 : 1); ++k) advance();
        while (multi && i_ < text_.size() && text_[i_] == quote) advance();  // up to two quotes end the content
        return;
      }
      advance();
    }
  }

  void require(std::size_t depth) const {
    if (depth <= kMaxTomlDepth) return;
    throw ScenarioError(std::string(source_), line_, column_, "",
                        "nested more than " + std::to_string(kMaxTomlDepth) +
                            " levels deep (table headers, dotted keys, arrays and inline tables together; "
                            "a valid scenario needs far fewer)");
  }

  std::string_view text_;
  std::string_view source_;
  std::size_t i_ = 0;
  std::uint32_t line_ = 1, column_ = 1;
  std::vector<Frame> frames_;
  std::size_t table_depth_;
  std::size_t base_;
  std::size_t value_depth_ = 0;
  std::size_t key_parts_ = 0;
  bool expect_key_ = true;
};

}  // namespace

void check_toml_depth(std::string_view text, std::string_view source_name, std::size_t base_depth) {
  DepthScan(text, source_name, base_depth).run();
}

}  // namespace wsfleet::experiments
