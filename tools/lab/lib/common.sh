# Shared settings and helpers for the lab scripts. Sourced, not run.
#
# Everything the lab builds lives under one cache folder, machine-wide by
# default so fresh clones (and CI) reuse images built earlier:
#   $LAB_CACHE/debs/            Debian packages, as apt-get download left them
#   $LAB_CACHE/base-<key>/      Xen, the kernel, the dom0 and guest base roots
#   $LAB_CACHE/ours-<key>/      our binaries, lab scripts and the guest initrd
#   $LAB_CACHE/runs/<stamp>/    per-run console logs (the last few are kept)

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPO_ROOT=$(cd "$LAB_DIR/../.." && pwd)
LAB_CACHE=${XENSHM_LAB_CACHE:-/var/cache/xenshm-lab}
# One lab at a time on the machine, whatever clone or cache it uses: QEMU under
# TCG keeps both cores busy, and two would make each other time out.
LAB_LOCK=${XENSHM_LAB_LOCK:-/run/lock/xenshm-lab.lock}
LAB_XEN_BIN=/usr/lib/xen-4.17/bin

say() { printf 'lab: %s\n' "$*"; }
warn() { printf 'lab: %s\n' "$*" >&2; }
die() {
  printf 'lab: error: %s\n' "$*" >&2
  exit 2
}

# Seconds since the epoch, with tenths, for timings.
now() { date +%s.%1N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# Hash of the named files' contents (and names), for cache keys.
hash_files() {
  local f
  for f in "$@"; do
    printf '%s\n' "${f#"$REPO_ROOT"/}"
    cat "$f"
  done | sha256sum | cut -c1-16
}

hash_text() { sha256sum | cut -c1-16; }

# Takes the machine-wide lab lock on fd 9, waiting up to LAB_LOCK_WAIT seconds.
# Sets LAB_LOCK_WAITED to the seconds spent waiting.
take_lab_lock() {
  local t0=$SECONDS
  mkdir -p "$(dirname "$LAB_LOCK")"
  exec 9>>"$LAB_LOCK"
  if ! flock -n 9; then
    say "another lab run holds $LAB_LOCK; waiting (up to ${LAB_LOCK_WAIT:-1800}s)"
    flock -w "${LAB_LOCK_WAIT:-1800}" 9 || die "timed out waiting for $LAB_LOCK"
    say "got the lab lock after $((SECONDS - t0))s"
  fi
  LAB_LOCK_WAITED=$((SECONDS - t0))
}

require_root() {
  [ "$(id -u)" = 0 ] || die "the lab needs root (apt-get, dpkg -x with ownership, QEMU)"
}

# Installs the host tools the lab needs when any is missing. Never Xen or a
# kernel: those are only unpacked into the images.
ensure_host_tools() {
  local missing=() pkg cmd
  while read -r cmd pkg; do
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
  done <<'EOF'
qemu-system-x86_64 qemu-system-x86
cpio cpio
zstd zstd
xz xz-utils
flock util-linux
ldconfig libc-bin
EOF
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing host tools: ${missing[*]}"
  local apt=(apt-get install -y -q --no-install-recommends)
  DEBIAN_FRONTEND=noninteractive "${apt[@]}" "${missing[@]}" >/dev/null ||
    { apt-get update -q >/dev/null &&
      DEBIAN_FRONTEND=noninteractive "${apt[@]}" "${missing[@]}" >/dev/null; } ||
    die "could not install ${missing[*]}"
}
