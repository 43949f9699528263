# Helpers for the lab's scripts that stop and start xenshmd in dom0
# (lab-xenshmd-restarts, lab-upgrade). Sourced, not run.

xenshmd_log=/var/log/xenshmd.log

# Prints the pid of the running xenshmd (not a zombie), or nothing.
daemon_pid() {
  local d
  for d in /proc/[0-9]*; do
    [ "$(cat "$d/comm" 2>/dev/null)" = xenshmd ] || continue
    [ "$(awk '{ print $3 }' "$d/stat" 2>/dev/null)" = Z ] && continue
    echo "${d#/proc/}"
    return
  done
}

# How many times xenshmd has said it answers ("started;") in its log.
starts_logged() { grep -c "started;" "$xenshmd_log"; }

# Waits up to 30 s for a start logged after BEFORE (starts_logged's count
# then) by a running xenshmd; returns 0 if there is one.
await_started() {
  local before=$1
  for _ in $(seq 300); do
    [ "$(starts_logged)" -gt "$before" ] && break
    sleep 0.1
  done
  [ -n "$(daemon_pid)" ] && [ "$(starts_logged)" -gt "$before" ]
}
