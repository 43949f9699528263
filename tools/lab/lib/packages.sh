# Debian inputs of the images, pinned to the versions this machine's apt
# offers and fetched once into $LAB_CACHE/debs. Sourced, not run.

# Unpacked into dom0's root; the library packages they depend on come along.
# Their other dependencies (python3, udev, init scripts) are left out: dom0's
# init starts the few Xen daemons itself.
# xen-utils-common brings Debian's /etc/xen/oxenstored.conf, with which the
# oxenstored flavour runs oxenstored as a Debian host does.
LAB_DOM0_PACKAGES=(busybox-static bash xen-utils-4.17 xen-utils-common
  xenstore-utils libstdc++6)
LAB_XEN_PACKAGE=xen-hypervisor-4.17-amd64

# The versioned kernel image package that linux-image-amd64 points to.
kernel_package() {
  apt-cache depends linux-image-amd64 2>/dev/null |
    awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }'
}

# Prints PKG... plus every library package they depend on, transitively.
lib_closure() {
  local -A seen=()
  local level=("$@") next p
  for p in "$@"; do seen[$p]=1; done
  while [ ${#level[@]} -gt 0 ]; do
    next=()
    while read -r p; do
      case $p in lib* | zlib1g | gcc-*-base) ;; *) continue ;; esac
      [ -n "${seen[$p]:-}" ] && continue
      seen[$p]=1
      next+=("$p")
    done < <(apt-cache depends --no-recommends --no-suggests --no-conflicts \
      --no-breaks --no-replaces --no-enhances "${level[@]}" 2>/dev/null |
      awk '$1 ~ /^\|?(Pre)?Depends:$/ && $2 !~ /^</ { print $2 }')
    level=("${next[@]}")
  done
  printf '%s\n' "${!seen[@]}" | sort
}

# Downloads PKG... (candidate versions) into $LAB_CACHE/debs unless already
# there, and prints the .deb paths, one a line.
fetch_debs() {
  local dir=$LAB_CACHE/debs uris
  mkdir -p "$dir" "$LAB_CACHE/empty"
  # Asked from an empty folder: in $dir it leaves out what is there already.
  if ! uris=$(cd "$LAB_CACHE/empty" && apt-get download --print-uris "$@" 2>/dev/null) ||
    [ -z "$uris" ]; then
    say "apt has no candidate for some of: $*; running apt-get update" >&2
    apt-get update -q >/dev/null 2>&1
    uris=$(cd "$LAB_CACHE/empty" && apt-get download --print-uris "$@" 2>/dev/null) ||
      die "apt-get download cannot find: $*"
  fi
  local files=() missing=() uri file rest
  while read -r uri file rest; do
    files+=("$dir/$file")
    [ -s "$dir/$file" ] || missing+=("${file%%_*}")
  done <<<"$uris"
  if [ ${#missing[@]} -gt 0 ]; then
    say "downloading ${#missing[@]} Debian packages" >&2
    # Stale package lists name versions the mirror no longer has: update once.
    (cd "$dir" && apt-get download -qq "${missing[@]}" 2>&1 | grep -v "^W: Download is performed unsandboxed" >&2) ||
      true
    for file in "${files[@]}"; do
      [ -s "$file" ] && continue
      [ -z "${LAB_FETCH_RETRIED:-}" ] || die "download failed: $(basename "$file")"
      LAB_FETCH_RETRIED=1
      say "a download failed; running apt-get update and trying again" >&2
      apt-get update -q >/dev/null 2>&1
      fetch_debs "$@"
      return
    done
  fi
  printf '%s\n' "${files[@]}"
}
