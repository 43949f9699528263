#!/bin/bash
# Builds xenshm.ko against Debian's kernel headers without installing them.
#
#   build-against-debian-headers.sh KERNEL_VERSION CACHE_DIR [OUT_KO]
#
#   KERNEL_VERSION  the lab kernel's ABI name: 6.1.0-56 or 6.1.0-56-amd64
#   CACHE_DIR       where .debs, unpacked headers and the build dir live
#                   (e.g. .lab-cache/kmod); reused across runs
#   OUT_KO          where to put the module (default CACHE_DIR/xenshm-VER.ko)
#
# Fetches linux-headers-VER-amd64, linux-headers-VER-common and the matching
# linux-kbuild-6.1 with `apt-get download` (skipped when CACHE_DIR/debs has
# them), unpacks them with dpkg -x, points the -amd64 Makefile's absolute
# /usr/src include at the unpacked -common tree, copies the module sources to
# a build dir (the source tree stays clean) and runs kbuild. Needs gcc-12
# (Debian's kernel was built with it). Prints the .ko path on the last line.
set -euo pipefail

if [[ $# -lt 2 || $# -gt 3 ]]; then
  sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi

ver="${1%-amd64}"
case "$ver" in
  6.1.0-[0-9]*) ;;
  *) echo "error: kernel version '$1' is not 6.1.0-N[-amd64]" >&2; exit 2 ;;
esac
mkdir -p "$2"
cache="$(cd "$2" && pwd)"
out="${3:-$cache/xenshm-$ver-amd64.ko}"
src="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

command -v gcc-12 >/dev/null || {
  echo "error: gcc-12 not found (apt-get install gcc-12)" >&2; exit 1; }

hdr_amd64="linux-headers-$ver-amd64"
hdr_common="linux-headers-$ver-common"

# 1. The three packages, pinned to one version so kbuild matches the headers.
debs="$cache/debs"
mkdir -p "$debs"
have() { compgen -G "$debs/$1_*.deb" >/dev/null; }
if ! have "$hdr_amd64" || ! have "$hdr_common" || ! have linux-kbuild-6.1; then
  pkgver="$(apt-cache show "$hdr_amd64" 2>/dev/null |
            sed -n 's/^Version: //p' | head -n1)"
  if [[ -z "$pkgver" ]]; then
    echo "error: apt knows no $hdr_amd64 (apt-get update? version?)" >&2
    exit 1
  fi
  # apt's sandbox user must be able to write here, or it warns.
  chmod a+rwx "$debs" 2>/dev/null || true
  (cd "$debs" && apt-get download -q "$hdr_amd64=$pkgver" \
     "$hdr_common=$pkgver" "linux-kbuild-6.1=$pkgver") >&2
fi

# 2. Unpack once; the stamp marks a complete, rewritten tree.
root="$cache/root-$ver"
kdir="$root/usr/src/$hdr_amd64"
if [[ ! -e "$root/.xenshm-unpacked" ]]; then
  rm -rf "$root"
  mkdir -p "$root"
  for pkg in "$hdr_amd64" "$hdr_common" linux-kbuild-6.1; do
    deb="$(ls "$debs/${pkg}"_*.deb | sort -V | tail -n1)"
    dpkg -x "$deb" "$root"
  done
  # The -amd64 Makefile includes the -common one by absolute path.
  sed -i "s|/usr/src/$hdr_common|$root/usr/src/$hdr_common|g" \
    "$kdir/Makefile"
  touch "$root/.xenshm-unpacked"
fi

# 3. Build in a copy of the sources.
build="$cache/build-$ver"
rm -rf "$build"
mkdir -p "$build"
cp "$src/Kbuild" "$src/xenshm.c" "$src/../../uapi/xenshm_uapi.h" "$build/"
make -s -C "$kdir" M="$build" modules >&2

mkdir -p "$(dirname "$out")"
cp "$build/xenshm.ko" "$out"
echo "$out"
