# The "ours" layer: our installed packages (tools/lab/lib/packaged.sh), the
# lab's own scripts and test programs, and the guest's initrd, packed as a
# small archive the kernel unpacks over dom0's base root. Rebuilt when a
# package, a test program, a lab script or the base layer changes. Sourced.
#
# $OURS_DIR/dom0-ours.cpio.zst  /init, /lab/bin/* (lab scripts, test
#                               programs, the C examples), /lab/guest/
#                               {initrd,guest.cfg}, and what our packages
#                               installed: /usr/sbin/xenshmd, /usr/bin/xenshm,
#                               libxenshm.so.1, /etc/xenshm, xenshm.ko, ...

# Sets OURS_DIR to the layer of our packages, building it first if it is
# not in the cache.
# Usage: build_ours KERNEL_VERSION   (after our_debs and install_our_packages)
build_ours() {
  build_layer "$1" "$PKG_DIR" "" OURS_DIR
}

# Sets OURS_PREV_DIR to the layer of the upgrade scenario: the previous
# release installed, and in /lab/upgrade/ what `apt-get upgrade` made of it
# (new/, new.files, old.files, facts/) for dom0/lab-upgrade to apply.
# Usage: build_ours_previous KERNEL_VERSION   (after install_upgrade)
build_ours_previous() {
  build_layer "$1" "$UPG_DIR/old" "$UPG_DIR" OURS_PREV_DIR
}

# Usage: build_layer KERNEL_VERSION PKG_DIR UPGRADE_DIR|"" VARIABLE
build_layer() {
  local kver=$1 pkg=$2 upg=$3 tools=("$LAB_DEBS"/lab-tools/*) key f dir
  local scripts=("$LAB_DIR"/dom0/* "$LAB_DIR"/guest/* "${BASH_SOURCE[0]}")
  [ -e "${tools[0]}" ] || die "no lab test programs in $LAB_DEBS/lab-tools"
  key=$({
    echo "${BASE_DIR##*/} $pkg $upg"
    for f in "${tools[@]}"; do printf '%s %s\n' "${f##*/}" "$(sha256sum <"$f")"; done
    hash_files "${scripts[@]}"
  } | hash_text)
  dir=$LAB_CACHE/ours-$key
  printf -v "$4" '%s' "$dir"
  if [ -e "$dir/done" ]; then
    say "our layer${upg:+ (previous release)}: cached (${dir##*/})"
    return 0
  fi
  local PKG_DIR=$pkg OURS_DIR=$dir
  local t0 work droot groot
  t0=$(now)
  work=$(mktemp -d "$LAB_CACHE/tmp.ours.XXXXXX")
  droot=$work/dom0
  groot=$work/guest
  mkdir -p "$work/out" "$droot/lab/bin" "$droot/lab/guest" "$groot/lab/bin"

  # What a user installs, first: the programs below link its libxenshm.
  install_packaged "$PKG_DIR/guest" "$PKG_DIR/guest.files" "$groot" ||
    die "cannot find the libraries our guest packages need"
  install_packaged "$PKG_DIR/dom0" "$PKG_DIR/dom0.files" "$droot" ||
    die "cannot find the libraries our dom0 packages need"
  index_modules "$droot" "$kver"

  install -m 755 "$LAB_DIR/guest/init" "$groot/init"
  install -m 755 "$LAB_DIR/dom0/init" "$droot/init"
  for f in "$LAB_DIR"/dom0/lab-*; do install -m 755 "$f" "$droot/lab/bin/"; done
  install -m 644 "$LAB_DIR/guest/guest.cfg" "$droot/lab/guest/"
  install -D -m 644 "$LAB_DIR/dom0/xl.conf" "$droot/etc/xen/xl.conf"
  [ -e "$LAB_DIR/dom0/motd" ] && install -m 644 "$LAB_DIR/dom0/motd" "$droot/lab/"

  # The test programs and the C examples, in dom0 and in every guest.
  for f in "${tools[@]}" "$PKG_DIR"/examples/*; do
    LAB_EXTRA_LIBROOT=$PKG_DIR/guest install_with_libs "$BASE_DIR/dom0-root" "$droot" --into /lab/bin "$f" &&
      LAB_EXTRA_LIBROOT=$PKG_DIR/guest install_with_libs "$BASE_DIR/dom0-root" "$groot" --into /lab/bin "$f" ||
      die "cannot find the libraries $f needs"
  done

  if [ -n "$upg" ]; then
    mkdir -p "$droot/lab/upgrade"
    cp -a "$upg/new/dom0" "$droot/lab/upgrade/new"
    cp "$upg/new/dom0.files" "$droot/lab/upgrade/new.files"
    cp "$pkg/dom0.files" "$droot/lab/upgrade/old.files"
    cp -a "$upg/facts" "$droot/lab/upgrade/facts"
  fi

  check_provenance "$droot" "$PKG_DIR/dom0.files" dom0 ${upg:+"$upg/new/dom0.files"} || exit 2
  check_provenance "$groot" "$PKG_DIR/guest.files" guest || exit 2

  pack_cpio "$groot" "$work/guest-ours.cpio.zst"
  cat "$BASE_DIR/guest-base.cpio.zst" "$work/guest-ours.cpio.zst" >"$droot/lab/guest/initrd"
  pack_cpio "$droot" "$work/out/dom0-ours.cpio.zst"
  printf '%s\n' "${tools[@]##*/}" >"$work/out/binaries"
  touch "$work/out/done"
  rm -rf "$OURS_DIR"
  mv "$work/out" "$OURS_DIR"
  rm -rf "$work"
  # Keep the newest few: other clones may still want theirs.
  ls -dt "$LAB_CACHE"/ours-* 2>/dev/null | tail -n +6 | xargs -r rm -rf
  say "our layer${upg:+ (previous release)}: built in $(since "$t0")s (our packages, ${#tools[@]} test programs)"
}

# Copies the installed package files of TREE (their paths in LIST) into
# DESTROOT, with the Debian libraries their programs need from the base root.
# Usage: install_packaged TREE LIST DESTROOT
install_packaged() {
  local tree=$1 list=$2 dest=$3 f
  cp -a "$tree/." "$dest/"
  while read -r f; do
    [ -f "$tree$f" ] && [ ! -L "$tree$f" ] || continue
    case $f in *.ko) continue ;; esac # ELF, but the kernel's to link
    LAB_EXTRA_LIBROOT=$tree copy_libs "$BASE_DIR/dom0-root" "$dest" "$tree$f" || return 1
  done <"$list"
}

# Rewrites dom0's module index (modules.dep, ...) in ROOT for the base
# layer's modules plus the ones our packages installed, so that modprobe
# finds xenshm.ko where DKMS put it.
# Usage: index_modules ROOT KERNEL_VERSION
index_modules() {
  local root=$1 kver=$2 tmp
  tmp=$(mktemp -d)
  mkdir -p "$tmp/lib/modules"
  cp -a "$BASE_DIR/dom0-root/lib/modules/$kver" "$tmp/lib/modules/"
  cp -a "$root/lib/modules/$kver/." "$tmp/lib/modules/$kver/"
  "$BASE_DIR/dom0-root/bin/busybox" depmod -b "$tmp" "$kver" ||
    die "depmod failed for $kver"
  cp "$tmp/lib/modules/$kver"/modules.* "$root/lib/modules/$kver/"
  rm -rf "$tmp"
}

# The promise of images built from packages: a file of ours reaches an image
# only from our packages. Every file of the layer ROOT is a file an installed
# package of ours owns (or DKMS built from one: the paths in LIST), the
# lab's harness (/init, /lab/..., /etc/xen/xl.conf), the module index
# depmod wrote, or a Debian library copied unchanged from the base root; and
# no lab program has the name of a program, library or module we ship. In
# the upgrade layer, /lab/upgrade/new/ holds exactly the upgraded packages'
# files (STAGED_LIST).
# Usage: check_provenance ROOT LIST IMAGE_NAME [STAGED_LIST]
check_provenance() {
  local root=$1 list=$2 image=$3 staged_list=${4:-} f rel bad=()
  local -A packaged=() shipped=() staged=()
  while read -r f; do
    packaged[$f]=1
    case $f in */bin/* | */sbin/* | *.so* | *.ko) shipped[${f##*/}]=1 ;; esac
  done <"$list"
  if [ -n "$staged_list" ]; then
    while read -r f; do staged[/lab/upgrade/new$f]=1; done <"$staged_list"
  fi
  while IFS= read -r -d '' f; do
    rel=${f#"$root"}
    [ -n "${packaged[$rel]:-}" ] && continue
    case $rel in
      /lab/upgrade/new/*)
        [ -n "${staged[$rel]:-}" ] || bad+=("$rel (staged, but not a file of the upgraded packages)")
        ;;
      /lab/*)
        [ -z "${shipped[${rel##*/}]:-}" ] || bad+=("$rel (named like a file our packages ship)")
        ;;
      /init | /etc/xen/xl.conf | /lib/modules/*/modules.*) ;;
      *)
        cmp -s "$f" "$BASE_DIR/dom0-root$rel" ||
          bad+=("$rel (neither from our packages nor Debian's)")
        ;;
    esac
  done < <(find "$root" -mindepth 1 ! -type d -print0)
  [ ${#bad[@]} -eq 0 ] && return 0
  warn "the $image image would hold files of ours that no package installed:"
  printf '  %s\n' "${bad[@]}" >&2
  return 1
}
