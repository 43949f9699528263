# Helpers that fill and pack a root folder for an initramfs. Sourced, not run.

LAB_LOADER=/lib64/ld-linux-x86-64.so.2
LAB_LIBDIRS=(/lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu)

# Prints the shared libraries BIN needs, as resolved against the Debian root
# SRCROOT (its loader and library folders), one absolute path a line. A
# library SRCROOT lacks resolves on the host and is printed as a host path.
# LAB_EXTRA_LIBROOT, when set, names a second root searched after SRCROOT
# (our installed packages: libxenshm.so.1).
resolve_libs() {
  local srcroot=$1 bin=$2 libpath d r
  libpath=$(for r in "$srcroot" ${LAB_EXTRA_LIBROOT:+"$LAB_EXTRA_LIBROOT"}; do
    for d in "${LAB_LIBDIRS[@]}"; do printf '%s:' "$r$d"; done
  done)
  "$srcroot$LAB_LOADER" --library-path "${libpath%:}" --list "$bin" 2>&1 |
    awk -v bin="$bin" '
      /=> not found/ { print "lab: " bin ": missing " $1 > "/dev/stderr"; bad = 1; next }
      $2 == "=>" && $3 ~ /^\// { print $3 }
      $1 ~ /^\// { print $1 }
      END { exit bad }'
}

# Copies BIN... into DESTROOT (under the same absolute paths, or under the
# folder given with --into) with the libraries they need from SRCROOT.
# Usage: install_with_libs SRCROOT DESTROOT [--into DIR] BIN...
install_with_libs() {
  local srcroot=$1 destroot=$2 into= bin rel
  shift 2
  if [ "${1:-}" = --into ]; then
    into=$2
    shift 2
  fi
  for bin in "$@"; do
    if [ -n "$into" ]; then
      mkdir -p "$destroot$into"
      cp -L "$bin" "$destroot$into/"
    else
      rel=${bin#"$srcroot"}
      mkdir -p "$destroot$(dirname "$rel")"
      cp -a "$bin" "$destroot$rel"
    fi
    copy_libs "$srcroot" "$destroot" "$bin" || return 1
  done
}

# Copies the shared libraries the program BIN needs from SRCROOT (or
# LAB_EXTRA_LIBROOT) into DESTROOT at the same paths, unless there already.
# Usage: copy_libs SRCROOT DESTROOT BIN
copy_libs() {
  local srcroot=$1 destroot=$2 bin=$3 lib rel
  head -c 4 "$bin" | grep -q 'ELF' || return 0
  resolve_libs "$srcroot" "$bin" >"$destroot/.libs" || return 1
  while read -r lib; do
    # The loader is printed as the program names it: /lib64/ld-linux...
    [ -e "$srcroot$lib" ] && lib=$srcroot$lib
    case $lib in
      "$srcroot"/*) rel=${lib#"$srcroot"} ;;
      "${LAB_EXTRA_LIBROOT:-/nonexistent}"/*) rel=${lib#"$LAB_EXTRA_LIBROOT"} ;;
      *)
        warn "$(basename "$bin"): $lib is not in the lab's Debian root; copying the host's"
        rel=$lib
        ;;
    esac
    [ -e "$destroot$rel" ] && continue
    mkdir -p "$destroot$(dirname "$rel")"
    cp -L "$lib" "$destroot$rel"
  done <"$destroot/.libs"
  rm -f "$destroot/.libs"
}

# Links every applet of ROOT's /bin/busybox that ROOT does not have already.
link_busybox_applets() {
  local root=$1 applet
  for applet in $("$root/bin/busybox" --list); do
    [ -e "$root/bin/$applet" ] || [ -e "$root/usr/bin/$applet" ] ||
      [ -e "$root/sbin/$applet" ] || [ -e "$root/usr/sbin/$applet" ] ||
      ln -s busybox "$root/bin/$applet"
  done
}

# Copies Xen's kernel modules MODULE... from the unpacked kernel KROOT into
# ROOT and writes modules.dep there, so busybox modprobe finds them.
install_modules() {
  local kroot=$1 root=$2 kver=$3 m f
  shift 3
  for m in "$@"; do
    f=$(find "$kroot/lib/modules/$kver" -name "$m.ko" | head -n 1)
    [ -n "$f" ] || die "kernel $kver has no module $m"
    mkdir -p "$root/lib/modules/$kver/kernel/xen"
    cp "$f" "$root/lib/modules/$kver/kernel/xen/"
  done
  "$root/bin/busybox" depmod -b "$root" "$kver"
}

# The fixed skeleton every lab root needs before its /init runs.
make_skeleton() {
  local root=$1
  mkdir -p "$root"/{bin,dev,proc,sys,run,tmp,var/log,var/lib,etc,mnt}
  [ -e "$root/dev/console" ] || mknod -m 600 "$root/dev/console" c 5 1
  [ -e "$root/dev/null" ] || mknod -m 666 "$root/dev/null" c 1 3
  chmod 1777 "$root/tmp"
  [ -e "$root/var/run" ] || ln -s ../run "$root/var/run"
  [ -e "$root/var/lock" ] || ln -s ../run/lock "$root/var/lock"
}

# Packs ROOT as a zstd-compressed newc cpio archive OUT. Archives packed this
# way can be concatenated: the kernel unpacks them in order, later files win.
pack_cpio() {
  local root=$1 out=$2
  (cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
    cpio -o -H newc -R 0:0 --quiet) | zstd -q -T0 -6 >"$out.tmp"
  mv "$out.tmp" "$out"
}
