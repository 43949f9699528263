/* qnx_host_moo: a dom0 program written as for QNX's host side (libhyp's
 * hyp_shm calls, in the style of QNX's host sample), built against xenshm's
 * <xenshm/hyp_shm.h>. It attaches "moo" (the guest, qnx_guest_moo, creates
 * it), waits for the guest's notification, reads its message, writes a
 * reply, notifies everyone but itself and prints the status bits. libhyp's
 * signatures are inferred (hyp_shm.h); lines marked "xenshm:" replace what
 * QNX does with pulses. */
#define _POSIX_C_SOURCE 200809L
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <xenshm/hyp_shm.h>

#define SHM_NAME "moo"
#define TIMEOUT_MS 30000

static hyp_shm *shm;

/* xenshm: poll the handle's fd and read the status (QNX: MsgReceivePulse
 * on the channel the shmem pulse was attached to). */
static uint32_t wait_status(int timeout_ms) {
  struct pollfd pfd = {hyp_shm_event_fd(shm), POLLIN, 0};
  poll(&pfd, 1, timeout_ms);
  return hyp_shm_status(shm);
}

static void print_status(const char *what, uint32_t status) {
  printf("%s: status 0x%08x (notified by 0x%04x, attached 0x%04x)\n", what,
         status, status & 0xffff, status >> 16);
}

int main(void) {
  uint32_t status = 0;
  char *data;
  int waited;
  int rc;

  shm = hyp_shm_create();
  if (shm == NULL) {
    printf("FAIL: hyp_shm_create: %s\n", guest_shm_last_error());
    return 1;
  }
  /* Joins the guest's region, or creates it if the guest is not there. */
  rc = hyp_shm_attach(shm, SHM_NAME, 0x1000, HYP_SHM_MODE_DEFAULT,
                      HYP_SHM_GID_DEFAULT);
  if (rc != GSS_OK) {
    printf("FAIL: attach %s: status %d: %s\n", SHM_NAME, rc,
           guest_shm_last_error());
    return 1;
  }
  data = hyp_shm_data(shm);
  printf("ok attached %s: index %u, %zu bytes\n", hyp_shm_name(shm),
         hyp_shm_idx(shm), hyp_shm_size(shm));

  /* The guest notifies us once it sees us attached. */
  for (waited = 0; waited < TIMEOUT_MS; waited += 100) {
    status = wait_status(100);
    if ((status & 0xffff) != 0) break;
  }
  if ((status & 0xffff) == 0) {
    printf("FAIL: no notification from the guest\n");
    return 1;
  }
  print_status("ok notified", status);
  if (strncmp(data, "moo from the guest", 18) != 0) {
    printf("FAIL: the guest's message is missing\n");
    return 1;
  }
  printf("ok message: %.64s\n", data);

  snprintf(data + 2048, 256, "moo from dom0 (index %u)", hyp_shm_idx(shm));
  /* A notify reaches the peers in the attached bits: wait for the guest's. */
  for (waited = 0; waited < TIMEOUT_MS; waited += 100) {
    if (((status >> 16) & ~(1u << hyp_shm_idx(shm))) != 0) break;
    status = wait_status(100);
  }
  hyp_shm_poke(shm, ~0u);
  print_status("ok poked everyone but me", status);

  /* Stay until the guest has left, so it can read the reply. */
  for (waited = 0; waited < TIMEOUT_MS; waited += 100) {
    status = wait_status(100);
    if ((status >> 16) == (1u << hyp_shm_idx(shm))) break;
  }
  hyp_shm_detach(shm);
  hyp_shm_destroy(shm);
  printf("ok detached\n");
  return 0;
}
