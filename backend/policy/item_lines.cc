#include "backend/policy/item_lines.h"

#include <cctype>

namespace xenshm::policy {
namespace {

bool IsAtomChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' ||
         c == '-' || c == ':' || c == '/';
}

}  // namespace

SettingLines FindSettingLines(std::string_view text, std::string_view key) {
  SettingLines found;
  int line = 1;
  size_t i = 0;
  // Statement state: the identifier that began it, whether it is our key,
  // and whether its operator has been seen.
  bool at_statement_start = true;
  bool ours = false;
  bool after_operator = false;
  int depth = 0;
  int key_line = 0;
  std::vector<int> pending;  // lines of this statement's items
  bool appending = false;

  auto end_statement = [&] {
    if (ours && after_operator) {
      found.key_line = key_line;
      if (!appending) found.item_lines.clear();
      found.item_lines.insert(found.item_lines.end(), pending.begin(),
                              pending.end());
    }
    at_statement_start = true;
    ours = false;
    after_operator = false;
    depth = 0;
    pending.clear();
    appending = false;
  };
  auto item_at = [&](int item_line) {
    if (ours && after_operator && depth == 1) pending.push_back(item_line);
  };

  while (i < text.size()) {
    const char c = text[i];
    if (c == '\n') {
      if (depth == 0 && after_operator) end_statement();
      ++line;
      ++i;
    } else if (c == '#') {
      while (i < text.size() && text[i] != '\n') ++i;
    } else if (c == ';') {
      if (depth == 0) end_statement();
      ++i;
    } else if (c == '"' || c == '\'') {
      const int start_line = line;
      item_at(start_line);
      ++i;
      while (i < text.size() && text[i] != c) {
        if (text[i] == '\\' && i + 1 < text.size()) ++i;
        if (text[i] == '\n') ++line;
        ++i;
      }
      ++i;  // closing quote
      at_statement_start = false;
    } else if (c == '[') {
      item_at(line);
      ++depth;
      ++i;
    } else if (c == ']') {
      if (depth > 0) --depth;
      ++i;
    } else if (c == '+' && i + 1 < text.size() && text[i + 1] == '=') {
      after_operator = true;
      appending = true;
      i += 2;
    } else if (c == '=') {
      after_operator = true;
      ++i;
    } else if (IsAtomChar(c)) {
      const size_t start = i;
      while (i < text.size() && IsAtomChar(text[i])) ++i;
      if (at_statement_start) {
        ours = text.substr(start, i - start) == key;
        key_line = line;
        at_statement_start = false;
      } else {
        item_at(line);
      }
    } else {
      ++i;
    }
  }
  end_statement();
  return found;
}

}  // namespace xenshm::policy
