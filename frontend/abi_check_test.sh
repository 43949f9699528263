#!/usr/bin/env bash
# libxenshm.so.1's ABI against the checked-in symbols file (Debian's format:
# "libxenshm.so.1 libxenshm1 #MINVER#", then " symbol@Base version"):
# fails if a listed symbol is missing, an unlisted one is exported, the
# soname differs, or the NEEDED list is not a guest library's (libxenstore,
# libxengnttab, libxenevtchn; never libxenctrl). Prints one PASS/FAIL line
# per check.
# Usage: abi_check_test.sh LIBRARY SYMBOLS_FILE
set -uo pipefail
library=$1
symbols_file=$2
failed=0
pass() { echo "PASS $1"; }
fail() {
  echo "FAIL $*"
  failed=1
}

header=$(head -n 1 "$symbols_file")
if [ "$header" = "libxenshm.so.1 libxenshm1 #MINVER#" ]; then
  pass "symbols-file-header"
else
  fail "symbols-file-header: '$header'"
fi

listed=$(tail -n +2 "$symbols_file" | grep -v '^#' |
  sed -n 's/^ \([A-Za-z0-9_]*\)@Base [0-9][0-9.~+a-z]*$/\1/p' | sort)
# "* Field: value" lines are deb-symbols(5) meta-information.
malformed=$(tail -n +2 "$symbols_file" | grep -v '^#' | grep -v '^\* [A-Za-z-]*: ' |
  grep -cvE '^ [A-Za-z0-9_]+@Base [0-9][0-9.~+a-z]*$')
if [ "$malformed" -eq 0 ] && [ -n "$listed" ]; then
  pass "symbols-file-lines"
else
  fail "symbols-file-lines: $malformed malformed lines"
fi

# Every defined dynamic symbol, of any type (functions and data).
exported=$(nm -D --defined-only "$library" | awk '{print $3}' | sort)
missing=$(comm -23 <(echo "$listed") <(echo "$exported"))
unlisted=$(comm -13 <(echo "$listed") <(echo "$exported"))
if [ -z "$missing" ]; then
  pass "no-listed-symbol-missing"
else
  fail "no-listed-symbol-missing: gone from the library:" $missing
fi
if [ -z "$unlisted" ]; then
  pass "no-unlisted-symbol-exported"
else
  fail "no-unlisted-symbol-exported: add to libxenshm.symbols or hide:" \
    $unlisted
fi

dynamic=$(readelf -d "$library")
soname=$(sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p' <<<"$dynamic")
if [ "$soname" = "libxenshm.so.1" ]; then
  pass "soname"
else
  fail "soname: '$soname'"
fi

needed=$(sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' <<<"$dynamic")
for lib in libxenstore libxengnttab libxenevtchn; do
  if grep -q "^$lib\.so\." <<<"$needed"; then
    pass "needs-$lib"
  else
    fail "needs-$lib: NEEDED is" $needed
  fi
done
if grep -q '^libxenctrl\.so' <<<"$needed"; then
  fail "no-libxenctrl: a guest library must not need libxenctrl"
else
  pass "no-libxenctrl"
fi

exit "$failed"
