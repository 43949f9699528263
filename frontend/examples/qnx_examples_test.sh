#!/usr/bin/env bash
# The QNX-style examples are built (as C99, against the compatibility
# headers and the library's objects) and run as far as discovery: outside
# Xen that fails, and must fail saying so, with exit status 1. The lab runs
# them on real Xen.
set -uo pipefail
failed=0
for program in "$@"; do
  out=$("$program" 2>&1)
  status=$?
  if [ "$status" = 1 ] && grep -q '^FAIL: .*xenstore' <<<"$out"; then
    echo "PASS $(basename "$program"): $out"
  elif [ -e /dev/xen/xenbus ]; then
    echo "SKIP $(basename "$program"): this is a Xen domain ($status: $out)"
  else
    echo "FAIL $(basename "$program"): exit $status: $out"
    failed=1
  fi
done
exit $failed
