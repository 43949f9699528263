#!/usr/bin/env bash
# man_options_test.sh: every option a program accepts is in its man page,
# so an option added without documentation fails here. "Accepts" is the
# union of what its --help prints and the option literals ("--x") of its
# argument parser's source; for the guest CLI also its ACTION words, for
# the policy page every stanza item key and policy-file setting.
# Paths are relative to the runfiles root (the workspace).
set -uo pipefail
failed=0

# The words in the roff source as written there: each '-' as '\-'.
in_page() {  # PAGE WORD
  grep -qF -- "${2//-/\\-}" "$1"
}
check() {  # PAGE WHAT WORD...
  local page=$1 what=$2 word missing=()
  shift 2
  [ "$#" -gt 0 ] || { echo "FAIL: $page: found no $what to check"; failed=1; return; }
  for word in "$@"; do in_page "$page" "$word" || missing+=("$word"); done
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "FAIL: $page does not document $what: ${missing[*]}"
    failed=1
  else
    echo "ok: $page documents $# $what"
  fi
}
long_options() {  # FILE...: the "--x" literals
  grep -ohE '"--[a-z][a-z0-9-]*' "$@" | tr -d '"' | sort -u
}
help_options() {  # BINARY
  local out
  out=$("$1" --help) || { echo "FAIL: $1 --help failed" >&2; failed=1; }
  grep -oE -- '--[a-z][a-z0-9-]*' <<<"$out" | sort -u
}
options() {  # BINARY SOURCE...
  { help_options "$1"; shift; long_options "$@"; } | sort -u
}

man=docs/man
check $man/xenshmd.8 options \
  $(options backend/xenshmd backend/xenshmd_main.cc)
check $man/xenshmctl.8 options \
  $(options tools/xenshmctl/xenshmctl tools/xenshmctl/xenshmctl_main.cc) \
  status budget
check $man/xenshm-xl-create.8 options \
  $(options tools/xl-create/xenshm-xl-create tools/xl-create/xl_create_args.cc)
check $man/xenshm-qnx-config.1 options \
  $(options tools/qnx-config/xenshm-qnx-config \
      tools/qnx-config/xenshm_qnx_config_main.cc)
check $man/xenshm.1 options \
  $(options frontend/xenshm frontend/cli/xenshm_main.cc frontend/cli/signal_actions.cc)
check $man/xenshm.1 actions \
  $(grep -ohE '"[a-z][a-z-]*="|action == "[a-z][a-z-]*"' \
      frontend/cli/xenshm_main.cc frontend/cli/signal_actions.cc |
    sed -E 's/^action == //' | tr -d '"' | sort -u)
check $man/xenshm-policy.5 "stanza items" \
  $(grep -ohE '^ *return "[a-z][a-z-]*";' backend/policy/stanza.cc |
    sed -E 's/ *return "(.*)";/\1=/' | sort -u)
# Each policy-file setting is a .B line of its own (the list of settings).
for key in $(grep -ohE 'Key = "[a-z]+"' backend/policy/xl_config.h |
             sed -E 's/.*"(.*)"/\1/'); do
  grep -qx ".B $key" $man/xenshm-policy.5 ||
    { echo "FAIL: xenshm-policy.5 does not list the setting $key"; failed=1; }
done
[ "$failed" -eq 0 ] && echo "PASS: every option is documented"
exit "$failed"
