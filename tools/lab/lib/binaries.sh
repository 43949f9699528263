# Our binaries: the Bazel targets listed in tools/lab/targets, built and
# located. Sourced, not run.

# Builds the listed targets that exist and prints their output files, one
# absolute path a line. Sets LAB_SKIPPED_TARGETS to the labels left out.
build_binaries() {
  local labels=() present=() label
  LAB_SKIPPED_TARGETS=
  mapfile -t labels < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$LAB_DIR/targets")
  [ ${#labels[@]} -gt 0 ] || return 0
  if ! command -v bazel >/dev/null; then
    LAB_SKIPPED_TARGETS="${labels[*]} (bazel is not installed)"
    return 0
  fi
  cd "$REPO_ROOT" || return 1
  # One query; with --keep_going it lists the labels that exist.
  mapfile -t present < <(bazel query --keep_going "set(${labels[*]})" 2>/dev/null)
  for label in "${labels[@]}"; do
    [[ " ${present[*]} " == *" $label "* ]] || LAB_SKIPPED_TARGETS+="$label "
  done
  [ ${#present[@]} -gt 0 ] || return 0
  # Optimized, as shipped: the lab's benchmarks measure what users run.
  bazel build --config=release "${present[@]}" >"$LAB_CACHE/bazel-build.log" 2>&1 || {
    tail -n 30 "$LAB_CACHE/bazel-build.log" >&2
    die "bazel build failed: ${present[*]}"
  }
  local execroot
  execroot=$(bazel info execution_root 2>/dev/null)
  bazel cquery --config=release "set(${present[*]})" --output=starlark \
    --starlark:expr='"\n".join([f.path for f in target.files.to_list()])' 2>/dev/null |
    sed "s|^|$execroot/|"
}

# Builds the project's dom0 kernel module against the lab kernel's Debian
# headers, when the tree has one, and prints the .ko path (nothing otherwise).
# Usage: build_kernel_modules KERNEL_VERSION
build_kernel_modules() {
  local script=$REPO_ROOT/backend/kmod/build-against-debian-headers.sh out key
  [ -f "$script" ] || return 0
  key=$({
    echo "$1"
    find "$REPO_ROOT/backend/kmod" "$REPO_ROOT/uapi" -maxdepth 1 -type f | LC_ALL=C sort |
      while read -r f; do hash_files "$f"; done
  } | hash_text)
  out=$LAB_CACHE/kmod/$key/xenshm.ko
  if [ -s "$out" ]; then
    echo "$out"
    return 0
  fi
  command -v gcc-12 >/dev/null || {
    say "installing gcc-12 to build backend/kmod" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q gcc-12 make >/dev/null 2>&1
  }
  bash "$script" "$1" "$LAB_CACHE/kmod" "$out" 2>"$LAB_CACHE/kmod-build.log" >/dev/null || {
    tail -n 20 "$LAB_CACHE/kmod-build.log" >&2
    die "backend/kmod did not build against kernel $1"
  }
  echo "$out"
}
