/* The guest half of libxenshm's C example (README.md): joins the region,
 * waits for dom0's signal, checks dom0's pattern in the first half, writes
 * its own in the second half and signals only dom0's peer. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenshm/xenshm.h>

/* Memory order: the pattern is written before a signal and read after one.
 * Each is a call into libxenshm, which the compiler cannot see through
 * (the mapping escaped to it), and a system call into Xen, which orders
 * the CPU's accesses: no fence of our own is needed. */

static int Fail(const char *check, const char *why) {
  printf("FAIL: %s: %s\n", check, why);
  return 1;
}

static int FailCall(const char *check, int status) {
  printf("FAIL: %s: %s: %s\n", check, xenshm_status_name(status),
         xenshm_last_error());
  return 1;
}

/* Byte i of the half written by `writer` (0: dom0, 1: the guest). */
static uint8_t PatternByte(int writer, size_t i) {
  return (uint8_t)(i * 7u + (writer ? 101u : 13u));
}

static int Usage(void) {
  fprintf(stderr,
          "usage: xenshm_example_guest [--name NAME] [--size BYTES] "
          "[--timeout-ms MS]\n");
  return 2;
}

/* The peer index attached from dom0, or -1. */
static int Dom0Peer(const xenshm_region *region) {
  struct xenshm_peer_info peers[XENSHM_MAX_PEERS];
  size_t count = 0;
  size_t i;
  if (xenshm_peers(region, peers, XENSHM_MAX_PEERS, &count) != XENSHM_OK) {
    return -1;
  }
  for (i = 0; i < count; ++i) {
    if (peers[i].domain == 0) return (int)peers[i].index;
  }
  return -1;
}

int main(int argc, char **argv) {
  const char *name = "xenshm-example";
  unsigned long long size = 8192;
  long timeout_ms = 30000;
  int i;
  for (i = 1; i < argc; ++i) {
    char *end = NULL;
    if (strcmp(argv[i], "--name") == 0 && i + 1 < argc) {
      name = argv[++i];
    } else if (strcmp(argv[i], "--size") == 0 && i + 1 < argc) {
      size = strtoull(argv[++i], &end, 10);
      if (*end != '\0' || size < 2) return Usage();
    } else if (strcmp(argv[i], "--timeout-ms") == 0 && i + 1 < argc) {
      timeout_ms = strtol(argv[++i], &end, 10);
      if (*end != '\0' || timeout_ms < 0 || timeout_ms > 3600000) {
        return Usage();
      }
    } else {
      return Usage();
    }
  }
  setvbuf(stdout, NULL, _IOLBF, 0);

  xenshm_client *client = NULL;
  int status = xenshm_open(0, &client);
  if (status != XENSHM_OK) return FailCall("open", status);
  if (xenshm_client_domain(client) == 0) {
    xenshm_close(client);
    return Fail("open", "this is dom0: run xenshm_example_dom0 here");
  }
  struct xenshm_attach_options options;
  xenshm_attach_options_init(&options);
  options.timeout_ms = (int32_t)timeout_ms;
  xenshm_region *region = NULL;
  status = xenshm_attach(client, name, size, &options, &region);
  if (status != XENSHM_OK) {
    xenshm_close(client);
    return FailCall("attach", status);
  }
  const size_t real_size = (size_t)xenshm_region_size(region);
  const size_t half = real_size / 2;
  uint8_t *data = xenshm_region_data(region);
  printf("ok attach '%s' (%zu bytes, peer %u)\n", name, real_size,
         (unsigned)xenshm_region_peer_index(region));

  /* dom0 signals once it has written its half. */
  int failed = 0;
  int dom0 = -1;
  int signaled = 0;
  long waited_ms = 0;
  while (!signaled && waited_ms < timeout_ms) {
    struct xenshm_signal_status news;
    status = xenshm_wait(region, 100, &news);
    waited_ms += 100; /* an upper bound is enough for a deadline here */
    if (status == XENSHM_TIMED_OUT) continue;
    if (status != XENSHM_OK) {
      failed = FailCall("dom0-signal", status);
      break;
    }
    dom0 = Dom0Peer(region);
    signaled =
        dom0 >= 0 && (news.signaled_by & ((xenshm_peer_set)1 << dom0)) != 0;
  }
  if (!failed && !signaled) failed = Fail("dom0-signal", "no signal in time");
  if (!failed) printf("ok dom0-signal (from peer %d)\n", dom0);

  if (!failed) {
    size_t at;
    for (at = 0; at < half; ++at) {
      if (data[at] != PatternByte(0, at)) break;
    }
    if (at != half) {
      char why[64];
      snprintf(why, sizeof(why), "byte %zu differs", at);
      failed = Fail("dom0-pattern", why);
    } else {
      printf("ok dom0-pattern (%zu bytes)\n", half);
    }
  }

  if (!failed) {
    size_t at;
    for (at = half; at < real_size; ++at) data[at] = PatternByte(1, at - half);
    /* Only dom0's peer: the selective signal. */
    const xenshm_peer_set target = (xenshm_peer_set)1 << dom0;
    struct xenshm_signal_report report;
    status = xenshm_signal(region, target, &report);
    if (status != XENSHM_OK) {
      failed = FailCall("signal-dom0", status);
    } else if (report.reached != target) {
      failed = Fail("signal-dom0", "dom0's peer was not reached");
    } else {
      printf("ok signal-dom0 (peer %d only)\n", dom0);
    }
  }

  /* Stay attached until dom0 has checked our half: it signals once more
   * (or has left). */
  if (!failed) {
    const xenshm_peer_set bit = (xenshm_peer_set)1 << dom0;
    struct xenshm_signal_status news = {0, bit};
    status = XENSHM_OK;
    while (status == XENSHM_OK && (news.signaled_by & bit) == 0 &&
           (news.attached & bit) != 0) {
      status = xenshm_wait(region, (int)timeout_ms, &news);
    }
    if (status != XENSHM_OK) {
      failed = FailCall("dom0-done", status);
    } else {
      printf("ok dom0-done\n");
    }
  }

  status = xenshm_detach(region);
  if (status != XENSHM_OK && !failed) failed = FailCall("detach", status);
  if (!failed) printf("ok detach\n");
  xenshm_region_free(region);
  xenshm_close(client);
  return failed ? 1 : 0;
}
