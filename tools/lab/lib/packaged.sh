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
#                       --cflags --libs xenshm` (xenshm-qnx for qnx_*.c)
#                       alone (the c-examples and qnx scenarios)
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
  local kver=$1 debs=() f key
  install_env "$kver"
  our_package_files "$LAB_DEBS" debs
  key=$({
    echo "${LAB_INSTALL_ENV##*/} $kver"
    packages_digest "${debs[@]}"
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
  mkdir -p "$work/out/dom0" "$work/out/guest" "$work/out/examples"
  fresh_install_root "$root"
  mkdir -p "$root/lab-install/debs" "$root/lab-install/examples"
  cp "${debs[@]}" "$root/lab-install/debs/"
  cp "$REPO_ROOT"/frontend/examples/*.c "$root/lab-install/examples/"
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
  # QNX-style programs build with the compatibility layer's module.
  case ${c##*/} in qnx_*) module=xenshm-qnx ;; *) module=xenshm ;; esac
  # pkg-config's words are separate flags: unquoted on purpose.
  cc -O2 -Wall -Wextra -Werror -o "${c%.c}" "$c" $(pkg-config --cflags --libs $module) ||
    { echo "lab-install: $c does not build against libxenshm-dev"; exit 1; }
done
dpkg-query -W xenshm-dkms xenshmd libxenshm1 libxenshm-dev xenshm-tools
INNER
  in_install_root "$root" "$kver" >"$work/out/installed" 2>&1 || {
    tail -n 30 "$work/out/installed" >&2
    die "installing our packages failed (see above)"
  }
  collect_dom0 "$root" "$work/out/dom0" "$kver" >"$work/out/dom0.files" || exit 2
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

# Sets the array VARIABLE to the five package files of ours in DIR
# (LAB_INSTALL_OURS' order). Usage: our_package_files DIR VARIABLE
our_package_files() {
  local -n files=$2
  local p f
  files=()
  for p in "${LAB_INSTALL_OURS[@]}"; do
    f=$(ls "$1/${p}"_*.deb 2>/dev/null | head -n 1)
    [ -n "$f" ] || die "no $p package in $1"
    files+=("$f")
  done
}

# Prints a digest line per part of each package DEB... (control and data):
# what a cache of their installation is keyed by.
packages_digest() {
  local f
  for f in "$@"; do
    dpkg-deb --ctrl-tarfile "$f" | sha256sum
    dpkg-deb --fsys-tarfile "$f" | sha256sum
  done
}

# Makes ROOT a fresh copy of the install root (LAB_INSTALL_ENV).
fresh_install_root() {
  mkdir -p "$1"
  tar -xf "$LAB_INSTALL_ENV" -C "$1" || die "unpacking $LAB_INSTALL_ENV"
  cp /etc/resolv.conf "$1/etc/resolv.conf" 2>/dev/null
}

# Copies what dom0's packages of ours installed in ROOT, and the module DKMS
# built there for KERNEL_VERSION, into DEST; prints their paths.
# Usage: collect_dom0 ROOT DEST KERNEL_VERSION
collect_dom0() {
  local root=$1 dest=$2 ko=/lib/modules/$3/updates/dkms/xenshm.ko
  [ -s "$root$ko" ] || die "DKMS left no $ko"
  collect_installed "$root" "$dest" "${LAB_DOM0_OURS[@]}" || exit 2
  echo "$ko"
  install -D -m 644 "$root$ko" "$dest$ko"
}

# Runs ROOT's /lab-install/run with ARG... in ROOT, with its own /proc.
# Usage: in_install_root ROOT ARG...
in_install_root() {
  local root=$1
  shift
  unshare --mount --propagation private sh -c \
    'root=$1; shift; mount -t proc proc "$root/proc" && chroot "$root" /bin/sh /lab-install/run "$@"' \
    sh "$root" "$@"
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

# The previous release (tools/package/previous-release) for the upgrade
# scenario: its packages, built once from its commit and cached. Sets
# LAB_PREV_DEBS and LAB_PREV_VERSION.
previous_debs() {
  local file=$REPO_ROOT/tools/package/previous-release commit t0 built
  commit=$(sed -n 's/^commit=//p' "$file")
  LAB_PREV_VERSION=$(sed -n 's/^version=//p' "$file")
  [ -n "$commit" ] && [ -n "$LAB_PREV_VERSION" ] || die "$file names no version and commit"
  LAB_PREV_DEBS=$LAB_CACHE/prev-debs-${commit:0:12}
  if [ -e "$LAB_PREV_DEBS/done" ]; then
    say "previous release: $LAB_PREV_VERSION packages cached"
    return 0
  fi
  t0=$(now)
  rm -rf "$LAB_PREV_DEBS"
  bash "$REPO_ROOT/tools/package/build-debs" --no-lintian --rev "$commit" "$LAB_PREV_DEBS" \
    >"$LAB_CACHE/build-prev-debs.log" 2>&1 || {
    tail -n 30 "$LAB_CACHE/build-prev-debs.log" >&2
    die "could not build the previous release's packages (log $LAB_CACHE/build-prev-debs.log)"
  }
  built=$(dpkg-deb -f "$(ls "$LAB_PREV_DEBS"/xenshmd_*.deb | head -n 1)" Version)
  [ "$built" = "$LAB_PREV_VERSION" ] ||
    die "commit $commit builds version $built, not $LAB_PREV_VERSION ($file)"
  touch "$LAB_PREV_DEBS/done"
  say "previous release: $LAB_PREV_VERSION packages built in $(since "$t0")s"
}

# Sets UPG_DIR: the previous release installed with apt in a fresh copy of
# the install root, then upgraded to LAB_DEBS' packages with apt as an
# administrator would (real dpkg, maintainer scripts and DKMS), after an
# administrator's edit of /etc/default/xenshmd. Cached by both package sets.
#   $UPG_DIR/old/     laid out as $PKG_DIR: what the previous release
#                     installed (dom0/, guest/, *.files, examples/)
#   $UPG_DIR/new/     dom0/ and dom0.files after the upgrade
#   $UPG_DIR/facts/   what dpkg-query, dkms and the files said before and
#                     after (the upgrade scenario checks them)
# Usage: install_upgrade KERNEL_VERSION   (after install_our_packages)
install_upgrade() {
  local kver=$1 old=() new=() key
  previous_debs
  our_package_files "$LAB_PREV_DEBS" old
  our_package_files "$LAB_DEBS" new
  key=$({
    echo "${LAB_INSTALL_ENV##*/} $kver"
    packages_digest "${old[@]}" "${new[@]}"
    cat "${BASH_SOURCE[0]}"
  } | hash_text)
  UPG_DIR=$LAB_CACHE/upgrade-$key
  if [ -e "$UPG_DIR/done" ]; then
    say "upgrade: installed and upgraded (cached ${UPG_DIR##*/})"
    return 0
  fi
  local t0 work root out
  t0=$(now)
  work=$(mktemp -d "$LAB_CACHE/tmp.upg.XXXXXX")
  root=$work/root
  out=$work/out
  mkdir -p "$out"/old/{dom0,guest} "$out/new/dom0" "$out/facts"
  fresh_install_root "$root"
  mkdir -p "$root/lab-install/old" "$root/lab-install/new" "$root/lab-install/facts"
  cp "${old[@]}" "$root/lab-install/old/"
  cp "${new[@]}" "$root/lab-install/new/"
  cat >"$root/lab-install/run" <<'INNER'
set -u
export DEBIAN_FRONTEND=noninteractive
step=$1 kver=$2
cd /lab-install
ours="xenshm-dkms xenshmd libxenshm1 libxenshm-dev xenshm-tools"
record() {
  dpkg-query -W $ours >"facts/versions-$1"
  dkms status -m xenshm >"facts/dkms-$1" 2>&1
  ls /etc/systemd/system/multi-user.target.wants/ >"facts/enabled-$1" 2>&1
  cp /etc/default/xenshmd "facts/default-xenshmd-$1"
}
case $step in
  old)
    apt-get install -y -q --no-install-recommends ./old/*.deb ||
      { echo "lab-install: apt could not install the previous release"; exit 1; }
    record before
    # The administrator's edit the upgrade must keep.
    sed -i 's/^XENSHMD_ARGS=.*/XENSHMD_ARGS="--grant-budget 65536"/' /etc/default/xenshmd
    ;;
  upgrade)
    # As unattended-upgrades answers dpkg: keep an edited conffile.
    apt-get install -y -q --no-install-recommends \
      -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold ./new/*.deb ||
      { echo "lab-install: apt could not upgrade to the new packages"; exit 1; }
    record after
    ;;
esac
INNER
  local step
  for step in old upgrade; do
    in_install_root "$root" "$step" "$kver" >>"$out/facts/installed" 2>&1 || {
      tail -n 30 "$out/facts/installed" >&2
      die "upgrade in the install root: step $step failed (see above)"
    }
    case $step in
      old)
        collect_dom0 "$root" "$out/old/dom0" "$kver" >"$out/old/dom0.files" || exit 2
        collect_installed "$root" "$out/old/guest" "${LAB_GUEST_OURS[@]}" >"$out/old/guest.files" || exit 2
        ;;
      upgrade)
        collect_dom0 "$root" "$out/new/dom0" "$kver" >"$out/new/dom0.files" || exit 2
        ;;
    esac
  done
  cp -a "$root"/lab-install/facts/. "$out/facts/"
  printf '%s\n' "$LAB_PREV_VERSION" >"$out/facts/old-version"
  dpkg-deb -f "${new[1]}" Version >"$out/facts/new-version"
  cp -a "$PKG_DIR/examples" "$out/old/examples"
  touch "$out/done"
  rm -rf "$UPG_DIR"
  mv "$out" "$UPG_DIR"
  rm -rf "$work"
  ls -dt "$LAB_CACHE"/upgrade-* 2>/dev/null | tail -n +3 | xargs -r rm -rf
  say "upgrade: $LAB_PREV_VERSION installed, upgraded to $(cat "$UPG_DIR/facts/new-version") in $(since "$t0")s"
}
