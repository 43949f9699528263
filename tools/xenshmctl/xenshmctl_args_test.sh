#!/usr/bin/env bash
# xenshmctl_args_test.sh XENSHMCTL: the command line is checked before the
# kernel module is opened, so on a machine without /dev/xenshm a good
# command line fails with 1 (no module) and a bad one with 2 (usage).
set -uo pipefail
ctl=$1
failed=0
expect() {  # STATUS MESSAGE-PART ARGS...
  local want=$1 part=$2 out rc
  shift 2
  out=$("$ctl" "$@" 2>&1)
  rc=$?
  if [ "$rc" -ne "$want" ] || [[ "$out" != *"$part"* ]]; then
    echo "FAIL: xenshmctl $* exited $rc (want $want), said: $out"
    failed=1
  fi
}
[ -e /dev/xenshm ] && { echo "FAIL: /dev/xenshm exists; this test needs it absent"; exit 1; }

expect 0 "budget SIZE GUESTS" --help
expect 2 "usage:" status --jsn
expect 2 "usage:" status --json extra
expect 2 "usage:" budget 16M
# Old scripts wrote MiB: refused, not read as bytes.
expect 2 "less than a page" budget 16 4
expect 2 "less than a page" budget 4095 1
expect 2 "'1K5'" budget 1K5 4
expect 2 "no hex digits" budget 0x 4
expect 2 "more than 1073741824" budget 2G 4
expect 2 "'16 M'" budget "16 M" 4
expect 2 "GUESTS must be at least 1" budget 16M 0
expect 2 "GUESTS 65 exceeds 64" budget 16M 65
# Accepted spellings reach the module (absent here).
for size in 4096 4K 0x1000 16M 0x1000000 1G; do
  expect 1 "kernel module not loaded" budget "$size" 4
done
expect 1 "kernel module not loaded" status
expect 1 "kernel module not loaded" status --json
[ "$failed" -eq 0 ] && echo "PASS: xenshmctl command line"
exit "$failed"
