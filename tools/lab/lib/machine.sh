# The emulated machine: QEMU's command line and the choice of accelerator.
# Sourced, not run.

# Xen: serial console on com1 (QEMU's -serial), dom0 on one vCPU with a fixed
# 1 GiB, enough grant frames for large regions. Linux: Xen's PV clock from the
# start; under TCG the kernel otherwise starts on the TSC, finds it skewed a few
# seconds in and switches clocksource mid-boot.
LAB_XEN_ARGS="console=com1 com1=115200,8n1 dom0_mem=1024M,max:1024M dom0_max_vcpus=1 gnttab_max_frames=256"
LAB_DOM0_ARGS="console=hvc0 loglevel=4 clocksource=xen"

# Sets LAB_ACCEL (kvm or tcg) and LAB_ACCEL_WHY. KVM is tried only where it
# can run Xen: kvm_pvm (what these machines have) stops Xen on an instruction
# it cannot emulate, and a failed KVM boot is remembered in the cache.
choose_accel() {
  LAB_ACCEL=tcg
  case ${XENSHM_LAB_ACCEL:-auto} in
    kvm | tcg)
      LAB_ACCEL=$XENSHM_LAB_ACCEL
      LAB_ACCEL_WHY="XENSHM_LAB_ACCEL=$XENSHM_LAB_ACCEL"
      return
      ;;
  esac
  if [ ! -c /dev/kvm ] || ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
    LAB_ACCEL_WHY="no usable /dev/kvm"
  elif [ ! -d /sys/module/kvm_intel ] && [ ! -d /sys/module/kvm_amd ]; then
    LAB_ACCEL_WHY="/dev/kvm is $(ls -d /sys/module/kvm_* 2>/dev/null | sed 's|.*/||' | head -n 1 || echo unknown), not kvm_intel/kvm_amd: it cannot run Xen"
  elif [ -e "$LAB_CACHE/kvm-failed" ]; then
    LAB_ACCEL_WHY="KVM failed to boot Xen here before ($(cat "$LAB_CACHE/kvm-failed"))"
  else
    LAB_ACCEL=kvm
    LAB_ACCEL_WHY="kvm_intel/kvm_amd present"
  fi
}

# Prints QEMU's arguments, one a line, to boot Xen and dom0 with initrd IMG.
# Usage: qemu_args ACCEL IMG SERIAL
qemu_args() {
  local accel=$1 img=$2 serial=$3
  if [ "$accel" = kvm ]; then
    printf '%s\n' -accel kvm -cpu host
  else
    # qemu64 with RDRAND: with richer models (max, -smap) dom0 programs failed
    # at random under TCG; without RDRAND the kernel's entropy setup takes
    # minutes (see platform notes).
    printf '%s\n' -accel tcg,thread=multi -cpu qemu64,+rdrand
  fi
  printf '%s\n' -machine pc -m 2048 -smp 2 -display none -no-reboot \
    -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
    -serial "$serial" \
    -kernel "$BASE_DIR/xen" -append "$LAB_XEN_ARGS" \
    -initrd "$BASE_DIR/vmlinuz $LAB_DOM0_ARGS,$img"
}
