#pragma once
// A cheap scan of TOML text for nesting depth, before toml++ parses it. toml++ bounds the nesting
// of arrays and inline tables (256) but not the parts of a dotted key: `[a.a.a...]` or
// `a.a.a... = 1` with 50,000 parts builds 50,000 nested tables, and parsing or destroying them
// recurses until the stack overflows. The scan counts, for every value, how deep it would sit in
// the document (table header parts + key parts + enclosing arrays and inline tables) without
// building anything and without recursion, and refuses the first that is too deep.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace wsfleet::experiments {

/// The deepest nesting a scenario may have. Valid scenarios nest a handful of levels (the bundled
/// ones 3 or 4: section, array of tables, entry, key; a distribution table or a list inside an
/// entry adds one or two); 32 is several times that, so no valid scenario comes near it, and small
/// enough that toml++'s recursion over it costs a few kilobytes of stack.
inline constexpr std::size_t kMaxTomlDepth = 32;

/// The most characters in one `--set` key (valid keys are well under 100 characters).
inline constexpr std::size_t kMaxOverrideKeyChars = 256;

/// Throws ScenarioError("FILE:LINE:COL: ...") at the first key or value of `text` nested deeper
/// than kMaxTomlDepth; `base_depth` is the depth of the document itself (0 for a file; the key's
/// parts for a `--set` value). Text that is not valid TOML is left for the parser to reject.
void check_toml_depth(std::string_view text, std::string_view source_name, std::size_t base_depth = 0);

}  // namespace wsfleet::experiments
