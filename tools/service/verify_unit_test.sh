#!/usr/bin/env bash
# systemd-analyze verify on the real unit file; fails on any line it prints.
#
#   verify_unit_test.sh UNIT_FILE
#
# verify insists that every command the unit runs exists, and the build
# machine has no /usr/sbin/xenshmd (nor, maybe, grep at /bin/grep). So the
# unit is checked in a root of its own (--root): systemd's own units
# (sysinit.target, ...) copied from the systemd package, the unit file as it
# is in the tree, and stand-in executables at the paths where Debian 12 has
# these programs. A path in the unit that differs from these fails, as an
# unknown directive or a bad value does. Units the unit names that do not
# exist here (xen.service, xendomains.service) are only ordering and wants,
# which verify accepts, so no Xen is needed on this machine.
set -euo pipefail

unit=$1
if ! command -v systemd-analyze >/dev/null; then
  echo "FAIL: systemd-analyze not found (Debian package systemd;" \
    "tools/install-build-deps installs it)"
  exit 1
fi
units=/usr/lib/systemd/system
if [ ! -e "$units/sysinit.target" ]; then
  echo "FAIL: no $units/sysinit.target (is the systemd package complete?)"
  exit 1
fi

root=$(mktemp -d "${TEST_TMPDIR:-/tmp}/unit-root.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/etc/systemd/system" "$root/usr/lib/systemd"
cp -r "$units" "$root/usr/lib/systemd/"
cp "$unit" "$root/etc/systemd/system/xenshmd.service"
# Where each command lives on Debian 12: xenshmd (our package), grep
# (grep), modprobe (kmod), kill (procps).
for cmd in /usr/sbin/xenshmd /bin/grep /sbin/modprobe /bin/kill; do
  mkdir -p "$root$(dirname "$cmd")"
  printf '#!/bin/sh\nexit 0\n' >"$root$cmd"
  chmod +x "$root$cmd"
done

# --man=no: Documentation= names the package's man pages, which the build
# host has not installed (//docs:man_lint_test checks the pages themselves).
out=$(systemd-analyze verify --man=no --root="$root" xenshmd.service 2>&1) && rc=0 ||
  rc=$?
if [ "$rc" -ne 0 ] || [ -n "$out" ]; then
  echo "FAIL: systemd-analyze verify (exit $rc) on $unit:"
  printf '%s\n' "$out"
  exit 1
fi
echo "PASS: systemd-analyze verify $unit: no warnings"
