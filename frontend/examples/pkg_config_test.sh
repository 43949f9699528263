#!/usr/bin/env bash
# Builds the C examples and a C++ program as a user of the installed
# libxenshm-dev would: headers, libxenshm.so.1 (+ the libxenshm.so link),
# libxenshm.a and a rendered xenshm.pc staged under a prefix, then only
# `pkg-config`. One PASS/FAIL line per check.
# Usage: pkg_config_test.sh LIBXENSHM_SO LIBXENSHM_A XENSHM_PC_IN
set -uo pipefail
so=$1
archive=$2
pc_in=$3
failed=0
pass() { echo "PASS $1"; }
fail() {
  echo "FAIL $*"
  failed=1
}

work=${TEST_TMPDIR:-$(mktemp -d)}
shared=$work/shared
static=$work/static
for prefix in "$shared" "$static"; do
  mkdir -p "$prefix/include/xenshm" "$prefix/lib/pkgconfig"
  cp frontend/include/xenshm/*.h base/include/xenshm/*.h \
    "$prefix/include/xenshm/"
  sed -e "s|@PREFIX@|$prefix|" -e "s|@LIBDIR@|$prefix/lib|" \
    -e "s|@VERSION@|0.6.0|" "$pc_in" >"$prefix/lib/pkgconfig/xenshm.pc"
done
cp "$so" "$shared/lib/libxenshm.so.1"
ln -s libxenshm.so.1 "$shared/lib/libxenshm.so"
cp "$archive" "$static/lib/libxenshm.a"

# Under --config=asan or tsan the library is instrumented: the programs
# link with the same sanitizer, as every binary of such a build does.
sanitize=
case "$(readelf -d "$so")" in
  *libasan.so*) sanitize=-fsanitize=address,undefined ;;
  *libtsan.so*) sanitize=-fsanitize=thread ;;
esac

if grep -q @ "$shared/lib/pkgconfig/xenshm.pc"; then
  fail "pc-rendered: a placeholder is left"
else
  pass "pc-rendered"
fi

# Runs "$@" with $1's xenshm.pc first on pkg-config's path.
with_prefix() {
  local prefix=$1
  shift
  PKG_CONFIG_PATH=$prefix/lib/pkgconfig "$@"
}

for side in guest dom0; do
  src=frontend/examples/xenshm_example_$side.c
  out=$work/xenshm_example_$side
  if with_prefix "$shared" sh -c "cc $sanitize -std=c99 -pedantic -Wall \
      -Wextra -Werror -o '$out' '$src' \$(pkg-config --cflags --libs xenshm)" \
      2>"$work/cc.log"; then
    pass "example-$side-builds-shared"
  else
    fail "example-$side-builds-shared:" "$(cat "$work/cc.log")"
    continue
  fi
  if readelf -d "$out" | grep -q 'NEEDED.*\[libxenshm\.so\.1\]'; then
    pass "example-$side-needs-libxenshm.so.1"
  else
    fail "example-$side-needs-libxenshm.so.1"
  fi
  # Loads the library and parses options (usage: exit 2) without Xen.
  LD_LIBRARY_PATH=$shared/lib "$out" --no-such-option 2>/dev/null
  rc=$?
  if [ "$rc" -eq 2 ]; then
    pass "example-$side-runs"
  else
    fail "example-$side-runs: exit $rc, not 2"
  fi
  if with_prefix "$static" sh -c "cc $sanitize -std=c99 -o '$out.static' '$src' \
      \$(pkg-config --static --cflags --libs xenshm)" 2>"$work/cc.log"; then
    pass "example-$side-builds-static"
  else
    fail "example-$side-builds-static:" "$(cat "$work/cc.log")"
  fi
done

# The C++ API is header-only: a program using all of it links against the
# .so, which exports only xenshm_* C symbols.
cat >"$work/cxx_user.cc" <<'CXX'
#include <cstdio>
#include <xenshm/client.h>
int main(int argc, char**) {
  if (argc > 5) {
    auto client = xenshm::Client::Open();
    if (!client) {
      std::puts(client.error().ToString().c_str());
      return 1;
    }
    auto region = client->Attach("moo", 4096);
    if (!region) return 1;
    auto& r = **region;
    (void)r.Peers(); (void)r.Signal(xenshm::kAllPeers);
    (void)r.SignalDomain(0); (void)r.TakeStatus(); (void)r.PeekStatus();
    (void)r.Wait(std::chrono::milliseconds(1)); (void)r.ReachablePeers();
    std::printf("%s %zu %d\n", r.name().c_str(), (size_t)r.size(),
                r.event_fd());
    return r.Detach().ok() ? 0 : 1;
  }
  std::puts(std::string(xenshm::CodeName(xenshm::Code::kBusy)).c_str());
  return 0;
}
CXX
if with_prefix "$shared" sh -c "c++ $sanitize -std=c++23 -Wall -Wextra -Werror \
    -o '$work/cxx_user' '$work/cxx_user.cc' \
    \$(pkg-config --cflags --libs xenshm)" 2>"$work/cxx.log"; then
  pass "cxx-header-only-links"
  if [ "$(LD_LIBRARY_PATH=$shared/lib "$work/cxx_user")" = busy ]; then
    pass "cxx-runs"
  else
    fail "cxx-runs"
  fi
else
  fail "cxx-header-only-links:" "$(cat "$work/cxx.log")"
fi

exit "$failed"
