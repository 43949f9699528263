#!/usr/bin/env bash
# xenshm-qnx-config on the testdata files: exit status 0 with the stanza on
# stdout, 1 with nothing on stdout on a refusal, 2 on usage errors.
set -uo pipefail
bin=$1
data=$(dirname "$0")/testdata
failed=0
check() {  # check NAME WANT_STATUS FILE GREP_STDOUT GREP_STDERR
  local name=$1 want=$2 file=$3 out_pattern=$4 err_pattern=$5 got
  "$bin" $file >"$TEST_TMPDIR/out" 2>"$TEST_TMPDIR/err"
  got=$?
  if [ "$got" != "$want" ]; then
    echo "FAIL $name: exit $got, want $want"; cat "$TEST_TMPDIR/err"; failed=1
  elif [ -n "$out_pattern" ] && ! grep -qF -- "$out_pattern" "$TEST_TMPDIR/out"; then
    echo "FAIL $name: stdout lacks '$out_pattern'"; cat "$TEST_TMPDIR/out"; failed=1
  elif [ -n "$err_pattern" ] && ! grep -qF -- "$err_pattern" "$TEST_TMPDIR/err"; then
    echo "FAIL $name: stderr lacks '$err_pattern'"; cat "$TEST_TMPDIR/err"; failed=1
  else
    echo "PASS $name"
  fi
}
check camera 0 "$data/camera.qvmconf" '"create=cam0,size=0x800000,mode=0660,gid=video",' 'camera.qvmconf:16: note: sched 12'
check cluster 0 "$data/cluster.qvmconf" '"create=TEST1,size=0xf0000",' 'cluster.qvmconf:18: note: loc 0x10000000: nothing to convert'
check refused 1 "$data/refused.qvmconf" '' 'refused.qvmconf:8: cannot convert: subst'
if [ -s "$TEST_TMPDIR/out" ]; then echo "FAIL refused: stdout not empty"; failed=1; fi
check no-shmem 0 "$data/no-shmem.qvmconf" '' 'no vdev shmem block'
check missing 2 "$data/absent.qvmconf" '' 'absent.qvmconf'
check usage 2 "" '' 'usage: xenshm-qnx-config'
check help 0 "--help" 'Exit status' ''
exit $failed
