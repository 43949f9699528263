#!/usr/bin/env bash
# tools/package/check-abi against libxenshm1 packages made here from a tiny C
# library: it passes the library its symbols file describes and fails every
# ABI break it exists to catch; a tree without the library is skipped,
# never passed.
set -uo pipefail
check_abi=$(realpath "$1")
library_present=$(realpath "$2")
work=${TEST_TMPDIR:-$(mktemp -d)}/abi
rm -rf "$work" && mkdir -p "$work"
cd "$work" || exit 1
failures=0

# A tree that has the library's parts (tools/package/library-present).
tree=$work/tree
mkdir -p "$tree/frontend" "$tree/tools/package"
cp "$library_present" "$tree/tools/package/library-present"
printf 'name = "libxenshm.so.1"\nname = "libxenshm_static"\n' >"$tree/frontend/BUILD"
touch "$tree/frontend/xenshm.pc.in"
cat >"$tree/frontend/libxenshm.symbols" <<'SYMBOLS'
libxenshm.so.1 libxenshm1 #MINVER#
 xenshm_attach@Base 0.6.0
 xenshm_detach@Base 0.6.0
SYMBOLS

# make_deb NAME C-SOURCE [VERSION-SCRIPT] [SONAME] [no-symbols]
make_deb() {
  local name=$1 source=$2 map=${3:-'{ global: xenshm_*; local: *; };'}
  local soname=${4:-libxenshm.so.1} root=$work/$1/root
  mkdir -p "$root/DEBIAN" "$root/usr/lib/x86_64-linux-gnu" "$work/$name/debs"
  echo "$source" >"$work/$name/lib.c"
  echo "$map" >"$work/$name/lib.map"
  gcc -shared -fPIC -o "$root/usr/lib/x86_64-linux-gnu/libxenshm.so.1" \
    -Wl,-soname,"$soname" -Wl,--version-script="$work/$name/lib.map" \
    "$work/$name/lib.c" || return 1
  printf '%s\n' 'Package: libxenshm1' 'Version: 0.6.0' 'Architecture: amd64' \
    'Maintainer: test <test@example.org>' 'Description: test' \
    >"$root/DEBIAN/control"
  [ "${5:-}" = no-symbols ] ||
    cp "$tree/frontend/libxenshm.symbols" "$root/DEBIAN/symbols"
  dpkg-deb --root-owner-group -b "$root" \
    "$work/$name/debs/libxenshm1_0.6.0_amd64.deb" >/dev/null
}

# expect pass|fail NAME: runs check-abi on NAME's package.
expect() {
  local want=$1 name=$2 out rc
  out=$(bash "$check_abi" "$work/$name/debs" "$tree" 2>&1)
  rc=$?
  if [ "$want" = pass ] && [ "$rc" = 0 ] &&
    grep -q '^abi: 1 passed, 0 failed$' <<<"$out"; then
    echo "PASS $name: passes"
  elif [ "$want" = fail ] && [ "$rc" != 0 ] &&
    grep -q '^abi: 0 passed, 1 failed$' <<<"$out"; then
    echo "PASS $name: fails: $(grep '^FAIL' <<<"$out")"
  else
    echo "FAIL $name: expected $want, got exit $rc:"
    sed 's/^/    /' <<<"$out"
    failures=$((failures + 1))
  fi
}

both='int xenshm_attach(void) { return 1; } int xenshm_detach(void) { return 0; }'
make_deb good "$both"
expect pass good
make_deb symbol-gone 'int xenshm_attach(void) { return 1; }'
expect fail symbol-gone
make_deb symbol-added "$both int xenshm_extra(void) { return 2; }"
expect fail symbol-added
make_deb foreign-export "$both int helper(void) { return 3; }" '{ global: *; };'
expect fail foreign-export
make_deb wrong-soname "$both" '' libxenshm.so.2
expect fail wrong-soname
make_deb no-symbols-file "$both" '' '' no-symbols
expect fail no-symbols-file
mkdir -p "$work/no-package/debs"
expect fail no-package

# Without the library in the tree: skipped, exit 0, and no pass counted.
bare=$work/bare
mkdir -p "$bare/frontend" "$bare/tools/package"
cp "$library_present" "$bare/tools/package/library-present"
touch "$bare/frontend/BUILD"
out=$(bash "$check_abi" "$work/good/debs" "$bare" 2>&1)
rc=$?
if [ "$rc" = 0 ] && grep -q '^abi: skipped' <<<"$out" &&
  ! grep -q 'passed' <<<"$out"; then
  echo "PASS no-library: skipped, not passed"
else
  echo "FAIL no-library: exit $rc: $out"
  failures=$((failures + 1))
fi
exit "$failures"
