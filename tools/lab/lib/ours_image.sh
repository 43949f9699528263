# The "ours" layer: our binaries, the lab's own scripts and the guest's
# initrd, packed as a small archive the kernel unpacks over dom0's base root.
# Rebuilt when a binary, a lab script or the base layer changes. Sourced.
#
# $OURS_DIR/dom0-ours.cpio.zst  /init, /lab/bin/*, /lab/guest/{initrd,guest.cfg},
#                               /usr/local/bin/* (+ libraries), /lab/modules/*.ko

# Sets OURS_DIR, building the layer first if it is not in the cache.
# Usage: build_ours FILE...   (our binaries, from build_binaries)
build_ours() {
  local files=("$@") key f
  local scripts=("$LAB_DIR"/dom0/* "$LAB_DIR"/guest/* "${BASH_SOURCE[0]}")
  key=$({
    echo "${BASE_DIR##*/}"
    for f in "${files[@]}"; do printf '%s %s\n' "${f##*/}" "$(sha256sum <"$f")"; done
    hash_files "${scripts[@]}"
  } | hash_text)
  OURS_DIR=$LAB_CACHE/ours-$key
  if [ -e "$OURS_DIR/done" ]; then
    say "our layer: cached (${OURS_DIR##*/})"
    return 0
  fi
  local t0 work droot groot
  t0=$(now)
  work=$(mktemp -d "$LAB_CACHE/tmp.ours.XXXXXX")
  droot=$work/dom0
  groot=$work/guest
  mkdir -p "$work/out" "$droot/lab/bin" "$droot/lab/guest" "$droot/lab/modules" "$groot"

  install -m 755 "$LAB_DIR/guest/init" "$groot/init"
  install -m 755 "$LAB_DIR/dom0/init" "$droot/init"
  for f in "$LAB_DIR"/dom0/lab-*; do install -m 755 "$f" "$droot/lab/bin/"; done
  install -m 644 "$LAB_DIR/guest/guest.cfg" "$droot/lab/guest/"
  install -D -m 644 "$LAB_DIR/dom0/xl.conf" "$droot/etc/xen/xl.conf"
  [ -e "$LAB_DIR/dom0/motd" ] && install -m 644 "$LAB_DIR/dom0/motd" "$droot/lab/"

  for f in "${files[@]}"; do
    case $f in
      *.ko) cp "$f" "$droot/lab/modules/" ;;
      *)
        [ -x "$f" ] && [ -f "$f" ] || continue
        install_with_libs "$BASE_DIR/dom0-root" "$droot" --into /usr/local/bin "$f" &&
          install_with_libs "$BASE_DIR/dom0-root" "$groot" --into /usr/local/bin "$f" ||
          die "cannot find the libraries $f needs"
        ;;
    esac
  done

  pack_cpio "$groot" "$work/guest-ours.cpio.zst"
  cat "$BASE_DIR/guest-base.cpio.zst" "$work/guest-ours.cpio.zst" >"$droot/lab/guest/initrd"
  pack_cpio "$droot" "$work/out/dom0-ours.cpio.zst"
  printf '%s\n' "${files[@]##*/}" >"$work/out/binaries"
  touch "$work/out/done"
  rm -rf "$OURS_DIR"
  mv "$work/out" "$OURS_DIR"
  rm -rf "$work"
  # Keep the newest few: other clones may still want theirs.
  ls -dt "$LAB_CACHE"/ours-* 2>/dev/null | tail -n +6 | xargs -r rm -rf
  say "our layer: built in $(since "$t0")s (${#files[@]} files from Bazel)"
}
