# The base layer: everything made from Debian packages alone. Rebuilt only
# when a package version or this file changes. Sourced, not run.
#
# $BASE_DIR/xen               the hypervisor, gunzipped for QEMU's multiboot
# $BASE_DIR/vmlinuz           the Debian kernel, booted as PV dom0
# $BASE_DIR/dom0-base.cpio.zst  dom0's root: Xen tools, busybox, bash, modules
#                             and /lab/guest/vmlinux (the same kernel as a plain
#                             ELF: xl creates a guest from it in 1.1 s, from a
#                             gzipped one in 2.5 s, from the bzImage slower still)
# $BASE_DIR/guest-base.cpio.zst a guest's root: busybox, xenstore tools, modules
# $BASE_DIR/dom0-root/        dom0's root unpacked: libraries for our binaries
#                             are taken from here

LAB_DOM0_MODULES=(xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xenfs)
LAB_GUEST_MODULES=(xen-evtchn xen-gntdev xen-gntalloc)

# Prints the Debian kernel's uncompressed ELF image held in the bzImage $1.
extract_vmlinux() {
  local off
  off=$(LC_ALL=C grep -obUaP '\xfd\x37\x7a\x58\x5a\x00' "$1" | head -n 1 | cut -d: -f1)
  [ -n "$off" ] || die "no xz payload in $1"
  tail -c +$((off + 1)) "$1" | xz -dc 2>/dev/null || true
}

# Sets BASE_DIR, building the base layer first if it is not in the cache.
build_base() {
  local kpkg debs key
  kpkg=$(kernel_package)
  [ -n "$kpkg" ] || {
    apt-get update -q >/dev/null 2>&1
    kpkg=$(kernel_package)
  }
  [ -n "$kpkg" ] || die "apt knows no linux-image-amd64"
  local dom0_pkgs
  mapfile -t dom0_pkgs < <(lib_closure "${LAB_DOM0_PACKAGES[@]}")
  debs=$(fetch_debs "$LAB_XEN_PACKAGE" "$kpkg" "${dom0_pkgs[@]}") || exit 2
  key=$({
    printf '%s\n' "$debs" | xargs -n1 basename
    cat "${BASH_SOURCE[0]}" "$LAB_DIR/lib/rootfs.sh"
  } | hash_text)
  BASE_DIR=$LAB_CACHE/base-$key
  if [ -e "$BASE_DIR/done" ]; then
    say "base images: cached (${BASE_DIR##*/})"
    return 0
  fi
  local t0 work deb kver
  t0=$(now)
  say "base images: building ${BASE_DIR##*/} from $(wc -l <<<"$debs") Debian packages"
  work=$(mktemp -d "$LAB_CACHE/tmp.base.XXXXXX")
  mkdir -p "$work/out" "$work/xen" "$work/kernel" "$work/out/dom0-root"

  dpkg -x "$(grep "/${LAB_XEN_PACKAGE}_" <<<"$debs")" "$work/xen"
  zcat "$work"/xen/boot/xen-4.17-amd64.gz >"$work/out/xen"

  dpkg -x "$(grep "/${kpkg}_" <<<"$debs")" "$work/kernel"
  kver=${kpkg#linux-image-}
  cp "$work/kernel/boot/vmlinuz-$kver" "$work/out/vmlinuz"

  # dom0: the package set unpacked as is, less what no one reads at run time.
  local root=$work/out/dom0-root
  while read -r deb; do
    case $deb in */"$LAB_XEN_PACKAGE"_* | */"$kpkg"_*) continue ;; esac
    dpkg -x "$deb" "$root"
  done <<<"$debs"
  rm -rf "$root"/usr/share/{doc,man,info,locale,lintian,bug,bash-completion} \
    "$root"/usr/lib/xen-4.17/lib/python "$root"/usr/lib/xen-4.17/boot \
    "$root"/etc/init.d "$root"/etc/default
  make_skeleton "$root"
  link_busybox_applets "$root"
  install_modules "$work/kernel" "$root" "$kver" "${LAB_DOM0_MODULES[@]}"
  mkdir -p "$root/lab/guest"
  extract_vmlinux "$work/kernel/boot/vmlinuz-$kver" >"$root/lab/guest/vmlinux"
  [ "$(head -c 4 "$root/lab/guest/vmlinux" | tail -c 3)" = ELF ] ||
    die "could not extract vmlinux from the kernel image"
  ldconfig -r "$root"
  local bin
  for bin in xl xenstored oxenstored xenconsoled xen-init-dom0; do
    resolve_libs "$root" "$root$LAB_XEN_BIN/$bin" >/dev/null ||
      die "dom0 root lacks libraries for $bin (see above)"
  done
  printf '%s\n' "$kver" >"$work/out/kernel-version"

  # A guest: busybox, the xenstore tools and Xen's device modules; nothing else.
  local groot=$work/guest-root
  mkdir -p "$groot"
  make_skeleton "$groot"
  cp "$root/bin/busybox" "$groot/bin/"
  link_busybox_applets "$groot"
  install_with_libs "$root" "$groot" "$root"/usr/bin/xenstore \
    "$root"/usr/bin/xenstore-{read,write,exists,list,ls,rm,watch,chmod}
  install_modules "$work/kernel" "$groot" "$kver" "${LAB_GUEST_MODULES[@]}"
  ldconfig -r "$groot"

  pack_cpio "$root" "$work/out/dom0-base.cpio.zst"
  pack_cpio "$groot" "$work/out/guest-base.cpio.zst"
  printf '%s\n' "$debs" | xargs -n1 basename >"$work/out/packages"
  touch "$work/out/done"
  rm -rf "$BASE_DIR"
  mv "$work/out" "$BASE_DIR"
  rm -rf "$work"
  # Older base layers are dead weight once a new one is built.
  find "$LAB_CACHE" -maxdepth 1 -name 'base-*' ! -path "$BASE_DIR" -exec rm -rf {} +
  say "base images: built in $(since "$t0")s ($(du -sh "$BASE_DIR/dom0-base.cpio.zst" | cut -f1) dom0 root)"
}
