#!/usr/bin/env bash
# completion_test.sh DIR XENSHM XENSHMCTL XENSHMD XENSHM-XL-CREATE: each
# bash completion file in DIR registers a completion for its program, its
# function offers the expected words for a few partial command lines
# (COMP_WORDS/COMP_CWORD set as bash does), and it offers every long option
# the program's --help names (so a new option is not forgotten here).
set -uo pipefail
export LC_ALL=C  # one sort order for the offers
dir=$1
declare -A binary=([xenshm]=$2 [xenshmctl]=$3 [xenshmd]=$4
  [xenshm-xl-create]=$5)
failed=0
work=${TEST_TMPDIR:-$(mktemp -d)}

# complete_words PROG WORD...: the offers for the last WORD (may be "").
complete_words() {
  local prog=$1 function
  shift
  function=$(complete -p "$prog" | sed -nE 's/.*-F ([^ ]+) .*/\1/p')
  COMP_WORDS=("$prog" "$@")
  COMP_CWORD=$#
  COMP_LINE="$prog $*"
  COMP_POINT=${#COMP_LINE}
  COMPREPLY=()
  "$function" "$prog" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}" \
    2>/dev/null
  printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
}
expect() {  # WANT PROG WORD...
  local want=$1 got
  shift
  got=$(complete_words "$@")
  if [ "$got" != "$want" ]; then
    echo "FAIL: '$*': offered '$got', want '$want'"
    failed=1
  fi
}

for prog in xenshm xenshmctl xenshmd xenshm-xl-create; do
  # shellcheck source=/dev/null
  source "$dir/$prog" || { echo "FAIL: sourcing $prog"; failed=1; }
  complete -p "$prog" >/dev/null 2>&1 ||
    { echo "FAIL: $prog registers no completion"; failed=1; }
done

expect "--help budget status" xenshmctl ""
expect "status" xenshmctl st
expect "--help" xenshmctl --
expect "--json" xenshmctl status ""
expect "16M" xenshmctl budget 16
expect "" xenshmctl status --json ""

expect "--check --config-dir" xenshmd --c
expect "--grant-budget" xenshmd --check --g
expect "" xenshmd --grant-budget ""
mkdir -p "$work/pins.d" && touch "$work/policy.cfg"
expect "$work/pins.d" xenshmd --pin-dir "$work/pi"
expect "$work/policy.cfg" xenshmd --policy "$work/po"

expect "--pin-dir= --policy-file=" xenshm-xl-create --p
expect "--check" xenshm-xl-create --policy-file = p.cfg --ch
expect "$work/policy.cfg" xenshm-xl-create --policy-file = "$work/po"
expect "$work/pins.d" xenshm-xl-create --pin-dir = "$work/pi"
expect "$work/policy.cfg" xenshm-xl-create "--policy-file=$work/po"
expect "$work/policy.cfg" xenshm-xl-create -f "$work/pol"

expect "--help attach" xenshm ""
expect "attach" xenshm at
expect "--retry-ms --ro" xenshm attach moo --r
expect "expect-leave= expect-missed= expect-quiet= expect-reached= expect-signal=" \
  xenshm attach moo expect-
expect "check-zero check=" xenshm attach moo --ro check
expect "128M 16M 1G 1M" xenshm attach moo --size 1
expect "" xenshm attach moo --handle ""
expect "" xenshm status ""
# Region names come from `xenshmctl status` where it runs (dom0).
mkdir -p "$work/bin"
cat >"$work/bin/xenshmctl" <<'STUB'
#!/bin/sh
cat <<'OUT'
module: 2 regions, 8 pages, 4 grants, 0 deferred frees
region 'cam.0': size 16 KiB (16384), owner dom1, group -, mode -, peers none
region 'camera-2': size 4 KiB (4096), owner dom2, group -, mode -, peers none
region 'log': size 4 KiB (4096), owner dom2, group -, mode -, peers none
OUT
STUB
chmod +x "$work/bin/xenshmctl"
PATH="$work/bin:$PATH" expect "cam.0 camera-2" xenshm attach cam
PATH="$work/bin:$PATH" expect "cam.0 camera-2 log" xenshm attach ""
PATH=/nonexistent expect "" xenshm attach ""

# Every --help option is offered where it applies.
covers() {  # PROG OFFERS
  local option
  for option in $("${binary[$1]}" --help | grep -oE -- '--[a-z][a-z0-9-]*' |
                  sort -u); do
    [[ " $2 " == *" $option "* || " $2 " == *" $option= "* ]] ||
      { echo "FAIL: $1 completion never offers $option"; failed=1; }
  done
}
covers xenshm "$(complete_words xenshm --) $(complete_words xenshm attach moo --)"
covers xenshmctl "$(complete_words xenshmctl --) $(complete_words xenshmctl status --)"
covers xenshmd "$(complete_words xenshmd --)"
covers xenshm-xl-create "$(complete_words xenshm-xl-create --)"

[ "$failed" -eq 0 ] && echo "PASS: bash completion"
exit "$failed"
