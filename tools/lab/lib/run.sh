# The host's side of one lab boot: the per-run archive, QEMU, and a watch on
# dom0's console that turns "@lab" lines into results and tells a hang from a
# slow run. Sourced, not run.

LAB_TIMEOUT=${XENSHM_LAB_TIMEOUT:-900}     # whole boot, seconds
LAB_BOOT_LIMIT=${XENSHM_LAB_BOOT_LIMIT:-}  # until dom0 is up (default per accel)
LAB_STALL=${XENSHM_LAB_STALL:-60}          # no console output at all (dom0 beats every 10s)
LAB_VERBOSE=${XENSHM_LAB_VERBOSE:-0}
LAB_SHOW_OUTPUT=${XENSHM_LAB_SHOW_OUTPUT:-0}  # print the steps' output too (demo)
# dom0's xenstored: cxenstored (C) or oxenstored (Debian 12's first choice).
LAB_XENSTORED=${XENSHM_LAB_XENSTORED:-cxenstored}

# Makes RUNDIR/dom0.img: the cached layers plus a small archive holding the
# run's mode and scenario. Usage: make_run_image RUNDIR MODE [SCENARIO]
make_run_image() {
  local rundir=$1 mode=$2 scenario=${3:-} r=$1/overlay f
  mkdir -p "$r/lab/run"
  echo "$mode" >"$r/lab/run/mode"
  echo "$LAB_XENSTORED" >"$r/lab/run/xenstored"
  if [ -n "$scenario" ]; then
    cp "$scenario" "$r/lab/run/scenario"
    basename "$scenario" >"$r/lab/run/name"
  fi
  (cd "$r" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$rundir/run.cpio"
  # Each piece starts on a 4-byte boundary; the kernel skips the zero padding.
  : >"$rundir/dom0.img"
  for f in "$BASE_DIR/dom0-base.cpio.zst" "$OURS_DIR/dom0-ours.cpio.zst" "$rundir/run.cpio"; do
    cat "$f" >>"$rundir/dom0.img"
    truncate -s %4 "$rundir/dom0.img"
  done
  rm -rf "$r"
}

new_rundir() {
  local d
  mkdir -p "$LAB_CACHE/runs"
  ls -dt "$LAB_CACHE"/runs/* 2>/dev/null | tail -n +20 | xargs -r rm -rf
  d=$LAB_CACHE/runs/$(date +%Y%m%d-%H%M%S)-$$-$RANDOM
  mkdir -p "$d"
  echo "$d"
}

# Boots the lab once with RUNDIR/dom0.img and follows the console until dom0
# reports its verdict, QEMU ends, or something hangs. Prints results as they
# come; sets RUN_PASSED, RUN_FAILED, RUN_VERDICT (pass|fail|kvm-broken),
# RUN_UP (s to dom0 up), RUN_FIRST (s to first check), RUN_TOTAL.
# Usage: boot_and_watch RUNDIR ACCEL
boot_and_watch() {
  local rundir=$1 accel=$2 log=$1/console.log
  local -a args
  mapfile -t args < <(qemu_args "$accel" "$rundir/dom0.img" "file:$log")
  : >"$log"
  local start=$SECONDS
  qemu-system-x86_64 "${args[@]}" -monitor none >"$rundir/qemu.out" 2>&1 &
  local qpid=$! boot_limit=${LAB_BOOT_LIMIT:-$([ "$accel" = kvm ] && echo 45 || echo 240)}
  RUN_PASSED=0 RUN_FAILED=0 RUN_VERDICT= RUN_UP= RUN_FIRST= RUN_TOTAL=
  local done_line= stuck= last=$SECONDS line partial= rc
  exec {tailfd}< <(tail -n +1 -F "$log" 2>/dev/null)
  local tailpid=$!
  while :; do
    if IFS= read -r -t 1 line <&"$tailfd"; then
      line="$partial$line"
      partial=
      last=$SECONDS
      watch_line "${line//$'\r'/}"
      continue
    fi
    [ -n "$line" ] && last=$SECONDS
    partial+=$line
    if ! kill -0 "$qpid" 2>/dev/null; then
      # Drain what QEMU wrote last.
      while IFS= read -r -t 1 line <&"$tailfd"; do watch_line "${line//$'\r'/}"; done
      break
    fi
    if [ -z "$RUN_UP" ] && [ $((SECONDS - start)) -ge "$boot_limit" ]; then
      stuck="dom0 did not come up in ${boot_limit}s"
    elif [ $((SECONDS - last)) -ge "$LAB_STALL" ]; then
      stuck="no console output for ${LAB_STALL}s"
    elif [ $((SECONDS - start)) -ge "$LAB_TIMEOUT" ]; then
      stuck="the run took longer than ${LAB_TIMEOUT}s"
    fi
    if [ -n "$stuck" ]; then
      kill "$qpid" 2>/dev/null
      break
    fi
  done
  wait "$qpid"
  rc=$?
  kill "$tailpid" 2>/dev/null
  exec {tailfd}<&-
  RUN_TOTAL=$((SECONDS - start))

  local why=
  if [ -n "$stuck" ]; then
    why="stuck: $stuck"
  elif [ -z "$done_line" ]; then
    why="dom0 ended without a verdict (QEMU exit $rc)"
  elif [ $rc != 65 ] && [ $rc != 67 ]; then
    why="no verdict on the debug-exit port (QEMU exit $rc)"
  elif [ "$done_line" != "passed=$RUN_PASSED failed=$RUN_FAILED" ]; then
    why="dom0 counted $done_line, the host saw passed=$RUN_PASSED failed=$RUN_FAILED: console lines were lost"
  elif [ $rc = 65 ] && [ "$RUN_FAILED" != 0 ]; then
    why="dom0 reported a pass despite failures"
  fi
  if [ "$accel" = kvm ] && [ -z "$RUN_UP" ]; then
    RUN_VERDICT=kvm-broken
    KVM_WHY=${why:-dom0 never came up}
    grep -m1 -i 'emulation failure\|error' "$rundir/qemu.out" >/dev/null &&
      KVM_WHY+="; QEMU: $(grep -m1 -i 'emulation failure\|error' "$rundir/qemu.out")"
    return
  fi
  if [ -n "$why" ]; then
    echo "FAIL lab: $why"
    RUN_FAILED=$((RUN_FAILED + 1))
    echo "--- console (tail: hypervisor and dom0; full log $log)"
    tr -d '\r' <"$log" | tail -n 40
    [ -s "$rundir/qemu.out" ] && echo "--- QEMU" && tail -n 5 "$rundir/qemu.out"
  fi
  if [ "$RUN_FAILED" = 0 ] && [ "$RUN_PASSED" -gt 0 ]; then RUN_VERDICT=pass; else RUN_VERDICT=fail; fi
}

# One console line: results are printed and counted, the rest only logged
# (shown with -v). Uses boot_and_watch's locals.
watch_line() {
  local line=$1 msg=${1#@lab }
  case $line in
    "  ["*"] PASS "* | "  ["*"] FAIL "*) ;;
    "  ["*"] "*) [ "$LAB_SHOW_OUTPUT" = 1 ] && [ "$LAB_VERBOSE" != 1 ] && echo "$line" ;;
  esac
  # Only whole lines from dom0's runner count; a step's output is indented.
  case $line in
    "@lab "*) ;;
    *)
      [ "$LAB_VERBOSE" = 1 ] && printf '  | %s\n' "$line"
      return
      ;;
  esac
  case $msg in
    "PASS "* | "FAIL "*)
      [ -n "$RUN_FIRST" ] || RUN_FIRST=$((SECONDS - start))
      echo "$msg"
      case $msg in PASS*) RUN_PASSED=$((RUN_PASSED + 1)) ;; *) RUN_FAILED=$((RUN_FAILED + 1)) ;; esac
      ;;
    "say "*) echo "${msg#say }" ;;
    "note "*) say "${msg#note }" ;;
    "| "*) echo "${msg#| }" ;;
    "dom0-up "*)
      RUN_UP=$((SECONDS - start))
      say "dom0 up after ${RUN_UP}s (Xen and dom0 booted, xenstored running)"
      ;;
    "done "*) done_line=${msg#done } ;;
    alive | "dom0-init "*) ;;
    *) [ "$LAB_VERBOSE" = 1 ] && printf '  | %s\n' "$line" ;;
  esac
}
