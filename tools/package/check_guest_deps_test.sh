#!/usr/bin/env bash
# tools/package/check-guest-deps against packages made here: guest packages
# that need only Xen's stable libraries pass; one that depends on or links
# libxenctrl fails; and the check fails when it cannot see xenshmd's own
# libxenctrl (so it never passes by checking nothing).
set -uo pipefail
check=$(realpath "$1")
work=${TEST_TMPDIR:-$(mktemp -d)}/guest-deps
rm -rf "$work" && mkdir -p "$work"
failures=0

# program NAME LIBS...: a program linked with those libraries.
program() {
  local name=$1
  shift
  echo 'int main(void) { return 0; }' >"$work/main.c"
  gcc -o "$work/$name" "$work/main.c" -Wl,--no-as-needed "$@"
}
program guest -lxenstore -lxengnttab -lxenevtchn || exit 1
program dom0 -lxenctrl -lxenstore || exit 1

# make_deb DIR PACKAGE DEPENDS PROGRAM [PC-REQUIRES-LINE]
make_deb() {
  local dir=$1 package=$2 depends=$3 prog=$4 root
  root=$work/root-$package-$RANDOM
  mkdir -p "$root/DEBIAN" "$root/usr/bin" "$dir"
  cp "$work/$prog" "$root/usr/bin/$package-program"
  if [ -n "${5:-}" ]; then
    mkdir -p "$root/usr/lib/pkgconfig"
    printf 'Name: xenshm\nVersion: 0.6.0\n%s\nLibs: -lxenshm\n' "$5" \
      >"$root/usr/lib/pkgconfig/xenshm.pc"
  fi
  printf '%s\n' "Package: $package" 'Version: 0.6.0' 'Architecture: amd64' \
    'Maintainer: test <test@example.org>' 'Description: test' \
    "Depends: $depends" >"$root/DEBIAN/control"
  dpkg-deb --root-owner-group -b "$root" "$dir/${package}_0.6.0_amd64.deb" \
    >/dev/null
}

# A package set: xenshmd as it is, and the guest packages as given.
stable='libc6, libxenstore4, libxengnttab1, libxenevtchn1'
set_of() {
  local dir=$work/$1
  make_deb "$dir" xenshmd "libxenmisc4.17, $stable" dom0
  make_deb "$dir" xenshm-tools "$stable" guest
  make_deb "$dir" libxenshm1 "$stable" guest
  echo "$dir"
}

expect() {
  local want=$1 name=$2 dir=$3 out rc
  out=$(bash "$check" "$dir" 2>&1)
  rc=$?
  if { [ "$want" = pass ] && [ "$rc" = 0 ] &&
    grep -q '^guest-deps: 1 passed, 0 failed$' <<<"$out"; } ||
    { [ "$want" = fail ] && [ "$rc" != 0 ] &&
      grep -q '^guest-deps: 0 passed, 1 failed$' <<<"$out"; }; then
    echo "PASS $name: $([ "$want" = pass ] && echo passes || echo fails)$(grep '^FAIL' <<<"$out" | head -n 1 | sed 's/^/: /')"
  else
    echo "FAIL $name: expected $want, got exit $rc:"
    sed 's/^/    /' <<<"$out"
    failures=$((failures + 1))
  fi
}

expect pass clean "$(set_of clean)"
dir=$(set_of tools-depends)
make_deb "$dir" xenshm-tools "libxenmisc4.17 (>= 4.17), $stable" guest
expect fail tools-depends-on-libxenmisc "$dir"
dir=$(set_of lib-depends-dev)
make_deb "$dir" libxenshm1 "$stable, libxen-dev" guest
expect fail lib-depends-on-libxen-dev "$dir"
dir=$(set_of dev-depends-dev)
make_deb "$dir" libxenshm-dev "libxenshm1 (= 0.6.0), libxen-dev" guest
expect pass dev-may-depend-on-libxen-dev "$dir"
dir=$(set_of dev-depends-misc)
make_deb "$dir" libxenshm-dev "libxenshm1 (= 0.6.0), libxenmisc4.17" guest
expect fail dev-depends-on-libxenmisc "$dir"
dir=$(set_of pc-requires)
make_deb "$dir" libxenshm-dev "libxen-dev" guest \
  'Requires.private: xengnttab xencontrol >= 4.17'
expect fail pc-requires-xencontrol "$dir"
dir=$(set_of tools-links)
make_deb "$dir" xenshm-tools "$stable" dom0
expect fail tools-links-libxenctrl "$dir"
dir=$(set_of blind)
make_deb "$dir" xenshmd "$stable" guest
expect fail xenshmd-not-flagged "$dir"
dir=$(set_of no-tools)
rm "$dir"/xenshm-tools_*.deb
expect fail no-xenshm-tools "$dir"
exit "$failures"
