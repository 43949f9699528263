#!/usr/bin/env bash
# The QNX-style examples: built by Bazel (C99, against the compatibility
# headers, libxenshm_qnx and libxenshm.so.1) and run as far as discovery,
# which outside Xen fails, saying so, with exit status 1; and the guest's
# built with cc as examples/README.md says. The lab runs them on real Xen;
# tests/integration:qnx_examples_test runs them over the fake hypervisor.
# Usage: qnx_examples_test.sh LIBXENSHM_SO LIBXENSHM_QNX_A PROGRAM...
set -uo pipefail
so=$1
archive=$2
shift 2
failed=0

run_to_discovery() {  # PROGRAM
  local out status
  out=$("$1" 2>&1)
  status=$?
  if [ "$status" = 1 ] && grep -q '^FAIL: .*xenstore' <<<"$out"; then
    echo "PASS $(basename "$1"): $out"
  elif [ -e /dev/xen/xenbus ]; then
    echo "SKIP $(basename "$1"): this is a Xen domain ($status: $out)"
  else
    echo "FAIL $(basename "$1"): exit $status: $out"
    failed=1
  fi
}

for program in "$@"; do run_to_discovery "$program"; done

# As a user of the installed headers and libraries would build it.
work=${TEST_TMPDIR:-$(mktemp -d)}
mkdir -p "$work/include/xenshm" "$work/lib"
cp frontend/include/xenshm/guest_shm.h frontend/include/xenshm/hyp_shm.h \
  frontend/include/xenshm/xenshm.h "$work/include/xenshm/"
cp "$so" "$work/lib/libxenshm.so.1"
ln -s libxenshm.so.1 "$work/lib/libxenshm.so"
cp "$archive" "$work/lib/libxenshm_qnx.a"
sanitize=
case "$(readelf -d "$so")" in
  *libasan.so*) sanitize=-fsanitize=address,undefined ;;
  *libtsan.so*) sanitize=-fsanitize=thread ;;
esac
if cc -std=c99 -pedantic -Werror $sanitize -I"$work/include" \
  -o "$work/qnx_guest_moo" frontend/examples/qnx_guest_moo.c \
  -L"$work/lib" -lxenshm_qnx -lxenshm -lstdc++ 2>"$work/cc.err"; then
  echo "PASS cc builds qnx_guest_moo.c against libxenshm_qnx.a"
  LD_LIBRARY_PATH=$work/lib run_to_discovery "$work/qnx_guest_moo"
else
  echo "FAIL cc qnx_guest_moo.c:"
  cat "$work/cc.err"
  failed=1
fi
exit $failed
