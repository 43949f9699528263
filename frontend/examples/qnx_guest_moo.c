/* qnx_guest_moo: a guest program written as for QNX's shmem vdev (the
 * style of QNX's guest sample), built against xenshm's <xenshm/guest_shm.h>.
 * It creates region "moo", waits for the host program (qnx_host_moo, in
 * dom0) to attach, writes a message, notifies the host, waits for its
 * reply and prints the status bits. Every line that differs from QNX-style
 * code is marked "xenshm:" with the QNX line it replaces. */
#define _POSIX_C_SOURCE 200809L
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenshm/guest_shm.h>

#define SHM_NAME "moo"
#define SHM_PAGES 1
#define TIMEOUT_MS 30000

static struct guest_shm_factory *factory;
static struct guest_shm_control *ctrl;
static char *shmem;

/* Waits for the shmem interrupt, then reads the status register. */
static uint32_t wait_status(int timeout_ms) {
  /* xenshm: poll the event fd (QNX: InterruptAttachEvent(factory->vector)
   * once, then InterruptWait). */
  struct pollfd pfd = {(int)factory->vector, POLLIN, 0};
  poll(&pfd, 1, timeout_ms);
  /* xenshm: a call (QNX: return ctrl->status;) */
  return guest_shm_status(ctrl);
}

static void print_status(const char *what, uint32_t status) {
  printf("%s: status 0x%08x (notified by 0x%04x, attached 0x%04x)\n", what,
         status, status & 0xffff, status >> 16);
}

int main(void) {
  uint32_t status = 0;
  uint32_t others = 0;
  int waited;

  /* xenshm: discovery (QNX: find the vdev on PCI or at its loc, then
   * factory = mmap_device_memory(NULL, 0x1000, PROT_READ | PROT_WRITE |
   * PROT_NOCACHE, 0, loc);) */
  factory = guest_shm_factory_open();
  if (factory == NULL || factory->signature != GUEST_SHM_SIGNATURE) {
    printf("FAIL: no shmem vdev: %s\n", guest_shm_last_error());
    return 1;
  }

  strncpy(factory->name, SHM_NAME, GUEST_SHM_MAX_NAME);
  /* xenshm: a call (QNX: factory->size = SHM_PAGES;) */
  guest_shm_create(factory, SHM_PAGES);
  if (factory->status != GSS_OK) {
    printf("FAIL: create %s: status %u: %s\n", SHM_NAME, factory->status,
           guest_shm_last_error());
    return 1;
  }
  /* xenshm: an address, nothing to map (QNX: ctrl = mmap_device_memory(
   * NULL, (SHM_PAGES + 1) * 0x1000, PROT_READ | PROT_WRITE | PROT_NOCACHE,
   * 0, factory->shmem);) */
  ctrl = (struct guest_shm_control *)(uintptr_t)factory->shmem;
  shmem = (char *)ctrl + 0x1000;
  printf("ok created %s: index %u, %u page(s)\n", SHM_NAME, ctrl->idx,
         factory->size);

  /* Wait for the host: someone else in the attached bits. */
  for (waited = 0; waited < TIMEOUT_MS; waited += 100) {
    status = wait_status(100);
    others = (status >> 16) & ~(1u << ctrl->idx);
    if (others != 0) break;
  }
  if (others == 0) {
    printf("FAIL: nobody attached %s\n", SHM_NAME);
    return 1;
  }
  print_status("ok host attached", status);

  snprintf(shmem, 256, "moo from the guest (index %u)", ctrl->idx);
  /* xenshm: a call (QNX: ctrl->notify = others;) */
  guest_shm_notify(ctrl, others);

  /* The host answers in the second half of the page and notifies us. */
  for (waited = 0; waited < TIMEOUT_MS; waited += 100) {
    status = wait_status(100);
    if ((status & 0xffff & others) != 0) break;
  }
  if ((status & 0xffff & others) == 0) {
    printf("FAIL: no notification from the host\n");
    return 1;
  }
  print_status("ok notified", status);
  if (strncmp(shmem + 2048, "moo from dom0", 13) != 0) {
    printf("FAIL: the host's reply is missing\n");
    return 1;
  }
  printf("ok reply: %.64s\n", shmem + 2048);

  /* xenshm: a call (QNX: ctrl->detach = 0;) */
  guest_shm_detach(ctrl);
  /* xenshm: a call (QNX: munmap_device_memory(factory, 0x1000);) */
  guest_shm_factory_close(factory);
  printf("ok detached\n");
  return 0;
}
