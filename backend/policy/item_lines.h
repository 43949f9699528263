// Where a list setting's items were written in an xl config file.
//
// libxlutil returns a list's items but not their lines, so this scans the
// text with the same lexical rules (comments, quoted strings with escapes,
// `=` replacing and `+=` appending) to find the line of each item of the
// setting's final value. It never fails: on text libxlutil would reject, or
// if it loses track, it returns fewer lines and callers fall back to
// "item N".
#ifndef XENSHM_BACKEND_POLICY_ITEM_LINES_H_
#define XENSHM_BACKEND_POLICY_ITEM_LINES_H_

#include <string_view>
#include <vector>

namespace xenshm::policy {

struct SettingLines {
  int key_line = 0;             // line of the last assignment; 0 if none
  std::vector<int> item_lines;  // 1-based, one per item of the final list
};

SettingLines FindSettingLines(std::string_view text, std::string_view key);

}  // namespace xenshm::policy

#endif  // XENSHM_BACKEND_POLICY_ITEM_LINES_H_
