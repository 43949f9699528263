#!/bin/bash
# xenshm-xl-create against a stand-in xl: the pin is in place before xl
# create runs (so xenshmd never sees the domain without it), xl gets the
# pinned UUID, a failed create takes the pin back, and a start without a
# stanza drops the pins of that name.
set -u
wrapper=$(realpath "$1")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0
check() { # NAME CONDITION...
  local name=$1
  shift
  if "$@"; then echo "PASS $name"; else echo "FAIL $name"; fails=$((fails + 1)); fi
}

# The stand-in: records its arguments and what the pin directory held when
# it ran; exits with $XL_EXIT.
cat >"$work/xl" <<'XL'
#!/bin/bash
printf '%s\n' "$@" >"$XL_LOG"
ls "$PIN_DIR" >"$XL_LOG.pins" 2>/dev/null
exit "${XL_EXIT:-0}"
XL
chmod +x "$work/xl"
export XENSHM_XL=$work/xl XL_LOG=$work/xl.log PIN_DIR=$work/pins
cat >"$work/camera.cfg" <<'CFG'
name = "camera"
memory = 128
xenshm = [ "allow=cam*", "create=cam0,size=64K" ]
CFG
run() { "$wrapper" --policy-file="$work/none.cfg" --pin-dir="$work/pins" "$@" 2>"$work/err"; }

run "$work/camera.cfg" vcpus=2
check created "[" $? = 0 "]"
uuid=$(sed -n 's/^uuid="\(.*\)"$/\1/p' "$work/xl.log")
check uuid-passed-to-xl grep -Eq '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' <<<"$uuid"
check pinned-before-xl-ran grep -qx "$uuid" "$work/xl.log.pins"
check pin-names-the-domain grep -qx "name=camera" "$work/pins/$uuid"
check pin-has-the-stanza grep -q "^create=cam0,size=65536" "$work/pins/$uuid"
check overrides-kept-in-order bash -c "[ \"\$(sed -n 1p '$work/xl.log')\" = create ] && grep -qx vcpus=2 '$work/xl.log'"

# A config that fixes its UUID keeps it (uppercase is normalized).
sed -i '1a uuid = "6D1A3C9E-0B6F-4C47-9A0E-5F2B1D7C8E90"' "$work/camera.cfg"
run "$work/camera.cfg"
check config-uuid-used grep -qx 'uuid="6d1a3c9e-0b6f-4c47-9a0e-5f2b1d7c8e90"' "$work/xl.log"
check one-pin-per-name bash -c "[ \"\$(ls '$work/pins')\" = 6d1a3c9e-0b6f-4c47-9a0e-5f2b1d7c8e90 ]"

# xl create fails: the pin it wrote goes again.
sed -i '/^uuid/d' "$work/camera.cfg"
XL_EXIT=1 run "$work/camera.cfg"
check failed-create-fails "[" $? = 1 "]"
failed_uuid=$(sed -n 's/^uuid="\(.*\)"$/\1/p' "$work/xl.log")
check failed-create-unpinned "[" ! -e "$work/pins/$failed_uuid" "]"

# Without a stanza, no pin, and the old pins of the name are dropped.
printf 'name = "camera"\nmemory = 128\n' >"$work/camera.cfg"
run "$work/camera.cfg"
check no-stanza-drops-old-pins bash -c "[ -z \"\$(ls '$work/pins')\" ]"

# A bad stanza starts nothing.
rm -f "$work/xl.log"
printf 'name = "bad"\nxenshm = [ "umask=088" ]\n' >"$work/bad.cfg"
run "$work/bad.cfg"
check bad-stanza-exit-2 "[" $? = 2 "]"
check bad-stanza-starts-nothing "[" ! -e "$work/xl.log" "]"
[ $fails = 0 ]
