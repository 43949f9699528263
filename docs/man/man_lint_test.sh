#!/usr/bin/env bash
# man_lint_test.sh PAGE...: every man page is clean for `mandoc -T lint`
# (every level, style included) and for `groff -man -ww -z`, and names
# itself as lintian expects (".SH NAME", then "name \- summary").
set -uo pipefail
[ "$#" -gt 0 ] || { echo "FAIL: no pages given"; exit 1; }
failed=0
for page in "$@"; do
  name=$(basename "$page")
  name=${name%.*}
  out=$(mandoc -T lint "$page" 2>&1) || failed=1
  [ -z "$out" ] || { echo "FAIL: mandoc -T lint $page:"; echo "$out"; failed=1; }
  out=$(groff -man -ww -z "$page" 2>&1) || failed=1
  [ -z "$out" ] || { echo "FAIL: groff -ww $page:"; echo "$out"; failed=1; }
  roff_name=${name//-/\\-}
  if ! awk -v want="$roff_name \\\\- " '
      prev == ".SH NAME" { found = index($0, want) == 1 } { prev = $0 }
      END { exit !found }' "$page"; then
    echo "FAIL: $page: the line after .SH NAME is not '$roff_name \\- ...'"
    failed=1
  fi
  # Options are written \-\-x: a bare "--x" renders as hyphens, not minus.
  if grep -nE '(^|[ (["])--?[A-Za-z]' "$page" | grep -vE '^[0-9]+:\.\\"'; then
    echo "FAIL: $page: a '-' above is not escaped as '\\-'"
    failed=1
  fi
done
[ "$failed" -eq 0 ] && echo "PASS: $# man pages lint clean"
exit "$failed"
