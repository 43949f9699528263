# Lab flavours: which xenstored dom0 runs. CI runs each scenario once, on the
# xenstored tests/lab/ci-flavours assigns it, so that both are covered in one
# CI run; `ci --full` runs every scenario on each. Sourced, not run.

LAB_XENSTOREDS=(cxenstored oxenstored)

# Prints the xenstored tests/lab/ci-flavours assigns to scenario NAME
# (cxenstored when it names none).
assigned_xenstored() {
  local name=$1 table=$REPO_ROOT/tests/lab/ci-flavours scenario xenstored rest
  if [ -f "$table" ]; then
    while read -r scenario xenstored rest; do
      [ "$scenario" = "$name" ] && {
        echo "$xenstored"
        return
      }
    done < <(grep -v '^\s*\(#\|$\)' "$table")
  fi
  echo cxenstored
}

# Prints the xenstoreds scenario NAME runs on: $XENSHM_LAB_XENSTORED when
# set, every one with --full (LAB_FULL=1), else its assigned one.
scenario_xenstoreds() {
  local name=$1 x
  if [ -n "${XENSHM_LAB_XENSTORED:-}" ]; then
    for x in "${LAB_XENSTOREDS[@]}"; do
      [ "$x" = "$XENSHM_LAB_XENSTORED" ] && {
        echo "$x"
        return
      }
    done
    die "XENSHM_LAB_XENSTORED=$XENSHM_LAB_XENSTORED: not one of ${LAB_XENSTOREDS[*]}"
  elif [ "${LAB_FULL:-0}" = 1 ]; then
    printf '%s\n' "${LAB_XENSTOREDS[@]}"
  else
    assigned_xenstored "$name"
  fi
}
