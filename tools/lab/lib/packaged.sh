# Our Debian packages, installed as a user installs them, are what the lab's
# images hold of ours. Sourced, not run.
#
# tools/package/build-debs --lab-tools makes the .debs (and, beside them, the
# lab's test programs); apt installs the .debs into a Debian 12 root with a
# dpkg database, so their maintainer scripts run and xenshm-dkms builds
# xenshm.ko through DKMS against the lab kernel's headers; the images then
# take the installed files from there (tools/lab/lib/ours_image.sh checks
# that nothing of ours came another way).
#
# $PKG_DIR/dom0/        what xenshmd, libxenshm1 and xenshm-tools installed,
#                       and the module DKMS built, at their installed paths
# $PKG_DIR/guest/       what libxenshm1 and xenshm-tools installed
# $PKG_DIR/dom0.files, $PKG_DIR/guest.files   those paths, one a line
# $PKG_DIR/examples/    frontend/examples/*.c, built there with `pkg-config
#                       --cflags --libs xenshm` alone (the c-examples scenario)
# $PKG_DIR/installed    what apt, the maintainer scripts and DKMS printed

# Installed together; the images take the packages named for each. The
# other two leave what the images need: xenshm-dkms the module,
# libxenshm-dev the C examples.
LAB_INSTALL_OURS=(xenshm-dkms xenshmd libxenshm1 libxenshm-dev xenshm-tools)
LAB_DOM0_OURS=(xenshmd libxenshm1 xenshm-tools)
LAB_GUEST_OURS=(libxenshm1 xenshm-tools)
# Installed in the cached root beforehand (our packages' dependencies, and
# what DKMS and the examples build with), so that each install is offline.
LAB_INSTALL_ENV_PACKAGES=(dkms xen-utils-4.17 libxen-dev pkg-config gcc libc6-dev)
LAB_DEBIAN_SOURCES=("deb http://deb.debian.org/debian bookworm main"
  "deb http://deb.debian.org/debian bookworm-updates main"
  "deb http://deb.debian.org/debian-security bookworm-security main")

# Sets LAB_DEBS to a folder with our .debs and lab-tools/: the one
# XENSHM_LAB_DEBS names (tools/run-tests passes the packages it built and
# checked), or a build of this tree.
our_debs() {
  if [ -n "${XENSHM_LAB_DEBS:-}" ]; then
    LAB_DEBS=$(realpath "$XENSHM_LAB_DEBS")
    [ -d "$LAB_DEBS/lab-tools" ] ||
      die "XENSHM_LAB_DEBS=$XENSHM_LAB_DEBS has no lab-tools/ (tools/package/build-debs --lab-tools)"
    say "our packages: from $LAB_DEBS"
    return 0
  fi
  local t0
  t0=$(now)
  LAB_DEBS=$LAB_CACHE/our-debs
  mkdir -p "$LAB_CACHE"
  bash "$REPO_ROOT/tools/package/build-debs" --lab-tools --no-lintian "$LAB_DEBS" \
    >"$LAB_CACHE/build-debs.log" 2>&1 || {
    tail -n 30 "$LAB_CACHE/build-debs.log" >&2
    die "tools/package/build-debs failed (log $LAB_CACHE/build-debs.log)"
  }
  say "our packages: built in $(since "$t0")s ($(cd "$LAB_DEBS" && ls ./*.deb | grep -vc dbgsym) .debs)"
}

# Sets LAB_INSTALL_ENV to the cached tarball of the Debian 12 root our
# packages are installed into, made first if missing.
# Usage: install_env KERNEL_VERSION
install_env() {
  local kver=$1 key include t0
  include="$(
    IFS=,
    echo "${LAB_INSTALL_ENV_PACKAGES[*]}"
  ),linux-headers-$kver"
  key=$(printf '%s\n' "$include" "${LAB_DEBIAN_SOURCES[@]}" | hash_text)
  LAB_INSTALL_ENV=$LAB_CACHE/install-env-$key.tar
  [ -s "$LAB_INSTALL_ENV" ] && return 0
  t0=$(now)
  say "install root: creating ${LAB_INSTALL_ENV##*/} (Debian 12, $include)"
  # Lists and downloaded packages stay: apt can still fetch a dependency a
  # new package version adds.
  mmdebstrap --quiet --format=tar --variant=apt --include="$include" \
    --skip=cleanup/apt/lists --skip=cleanup/apt/cache bookworm \
    "$LAB_INSTALL_ENV.new" "${LAB_DEBIAN_SOURCES[@]}" >"$LAB_CACHE/install-env.log" 2>&1 || {
    tail -n 20 "$LAB_CACHE/install-env.log" >&2
    rm -f "$LAB_INSTALL_ENV.new"
    die "mmdebstrap could not make the install root (log $LAB_CACHE/install-env.log)"
  }
  mv "$LAB_INSTALL_ENV.new" "$LAB_INSTALL_ENV"
  find "$LAB_CACHE" -maxdepth 1 -name 'install-env-*.tar' ! -path "$LAB_INSTALL_ENV" -delete
  say "install root: made in $(since "$t0")s"
}

# Sets PKG_DIR: our packages installed in a fresh copy of the install root,
# with the files the images take. Cached by the packages' contents.
# Usage: install_our_packages KERNEL_VERSION
install_our_packages() {
  local kver=$1 debs=() p f key
  install_env "$kver"
  for p in "${LAB_INSTALL_OURS[@]}"; do
    f=$(ls "$LAB_DEBS/${p}"_*.deb 2>/dev/null | head -n 1)
    [ -n "$f" ] || die "no $p package in $LAB_DEBS"
    debs+=("$f")
  done
  key=$({
    echo "${LAB_INSTALL_ENV##*/} $kver"
    for f in "${debs[@]}"; do
      dpkg-deb --ctrl-tarfile "$f" | sha256sum
      dpkg-deb --fsys-tarfile "$f" | sha256sum
    done
    cat "${BASH_SOURCE[0]}" "$REPO_ROOT"/frontend/examples/*.c
  } | hash_text)
  PKG_DIR=$LAB_CACHE/pkg-$key
  if [ -e "$PKG_DIR/done" ]; then
    say "our packages: installed (cached ${PKG_DIR##*/})"
    return 0
  fi
  local t0 work root
  t0=$(now)
  work=$(mktemp -d "$LAB_CACHE/tmp.pkg.XXXXXX")
  root=$work/root
  mkdir -p "$root" "$work/out/dom0" "$work/out/guest" "$work/out/examples"
  tar -xf "$LAB_INSTALL_ENV" -C "$root" || die "unpacking $LAB_INSTALL_ENV"
  mkdir -p "$root/lab-install/debs" "$root/lab-install/examples"
  cp "${debs[@]}" "$root/lab-install/debs/"
  cp "$REPO_ROOT"/frontend/examples/*.c "$root/lab-install/examples/"
  cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null
  cat >"$root/lab-install/run" <<'INNER'
set -u
export DEBIAN_FRONTEND=noninteractive
kver=$1
cd /lab-install
apt-get install -y -q --no-install-recommends ./debs/*.deb ||
  { echo "lab-install: apt could not install our packages"; exit 1; }
# xenshm-dkms's postinst builds for the newest kernel with headers here: the
# lab's (the host's running kernel is not one of this root's).
dkms status -m xenshm -k "$kver" | grep -q ': installed' ||
  { dkms status; echo "lab-install: DKMS did not install xenshm.ko for $kver"; exit 1; }
for c in examples/*.c; do
  # pkg-config's words are separate flags: unquoted on purpose.
  cc -O2 -Wall -Wextra -Werror -o "${c%.c}" "$c" $(pkg-config --cflags --libs xenshm) ||
    { echo "lab-install: $c does not build against libxenshm-dev"; exit 1; }
done
dpkg-query -W xenshm-dkms xenshmd libxenshm1 libxenshm-dev xenshm-tools
INNER
  unshare --mount --propagation private sh -c \
    'mount -t proc proc "$1/proc" && chroot "$1" /bin/sh /lab-install/run "$2"' \
    sh "$root" "$kver" >"$work/out/installed" 2>&1 || {
    tail -n 30 "$work/out/installed" >&2
    die "installing our packages failed (see above)"
  }
  local ko=/lib/modules/$kver/updates/dkms/xenshm.ko
  [ -s "$root$ko" ] || die "DKMS left no $ko"
  # Documentation stays out, as the base layer leaves Debian's out.
  collect_installed "$root" "$work/out/dom0" "${LAB_DOM0_OURS[@]}" >"$work/out/dom0.files" || exit 2
  echo "$ko" >>"$work/out/dom0.files"
  install -D -m 644 "$root$ko" "$work/out/dom0$ko"
  collect_installed "$root" "$work/out/guest" "${LAB_GUEST_OURS[@]}" >"$work/out/guest.files" || exit 2
  for f in "$root"/lab-install/examples/*.c; do
    install -m 755 "${f%.c}" "$work/out/examples/"
  done
  touch "$work/out/done"
  rm -rf "$PKG_DIR"
  mv "$work/out" "$PKG_DIR"
  rm -rf "$work"
  ls -dt "$LAB_CACHE"/pkg-* 2>/dev/null | tail -n +4 | xargs -r rm -rf
  say "our packages: installed in $(since "$t0")s ($(grep -c . "$PKG_DIR/dom0.files") files for dom0, xenshm.ko by DKMS for $kver)"
}

# Copies what the installed packages PKG... own in ROOT (not folders, not
# documentation) into DEST at the same paths, and prints those paths.
# Usage: collect_installed ROOT DEST PKG...
collect_installed() {
  local root=$1 dest=$2 list
  shift 2
  list=$(chroot "$root" dpkg-query -L "$@" | sort -u | while read -r f; do
    # Folders, and /lib, /bin, /sbin: links to /usr's in this root.
    [ -d "$root$f" ] && continue
    case $f in /usr/share/doc/* | /usr/share/man/*) continue ;; esac
    echo "$f"
  done)
  [ -n "$list" ] || die "dpkg knows no files of $*"
  # One by one: the root has merged /usr (/lib is a link), the images not.
  while read -r f; do
    mkdir -p "$dest$(dirname "$f")" && cp -a "$root$f" "$dest$f" ||
      die "copying $f of $* failed"
  done <<<"$list"
  echo "$list"
}
