/* The dom0 half of libxenshm's C example (README.md): joins the region,
 * writes its pattern in the first half, signals only the guest domain's
 * peers, then checks the guest's pattern in the second half. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenshm/xenshm.h>

/* Memory order: as in xenshm_example_guest.c, the calls into libxenshm
 * around the signals order the pattern's writes and reads. */

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
          "usage: xenshm_example_dom0 --guest-domain ID [--name NAME] "
          "[--size BYTES] [--timeout-ms MS]\n");
  return 2;
}

/* The peers attached from `domain`. */
static xenshm_peer_set PeersOf(const xenshm_region *region, uint16_t domain) {
  struct xenshm_peer_info peers[XENSHM_MAX_PEERS];
  size_t count = 0;
  size_t i;
  xenshm_peer_set set = 0;
  if (xenshm_peers(region, peers, XENSHM_MAX_PEERS, &count) != XENSHM_OK) {
    return 0;
  }
  for (i = 0; i < count; ++i) {
    if (peers[i].domain == domain) set |= (xenshm_peer_set)1 << peers[i].index;
  }
  return set;
}

int main(int argc, char **argv) {
  const char *name = "xenshm-example";
  unsigned long long size = 8192;
  long timeout_ms = 30000;
  long guest = -1;
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
    } else if (strcmp(argv[i], "--guest-domain") == 0 && i + 1 < argc) {
      guest = strtol(argv[++i], &end, 10);
      if (*end != '\0' || guest < 1 || guest > 0x7fef) return Usage();
    } else {
      return Usage();
    }
  }
  if (guest < 0) return Usage();
  setvbuf(stdout, NULL, _IOLBF, 0);

  xenshm_client *client = NULL;
  int status = xenshm_open(0, &client);
  if (status != XENSHM_OK) return FailCall("open", status);
  if (xenshm_client_domain(client) != 0) {
    xenshm_close(client);
    return Fail("open", "this is a guest: run xenshm_example_guest here");
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
  size_t at;
  for (at = 0; at < half; ++at) data[at] = PatternByte(0, at);

  /* Wait until the guest's peer is attached and reachable (both libraries
   * set the channel up while they run). */
  int failed = 0;
  xenshm_peer_set guest_peers = 0;
  long waited_ms = 0;
  while (waited_ms < timeout_ms) {
    xenshm_peer_set reachable = 0;
    struct xenshm_signal_status news;
    guest_peers = PeersOf(region, (uint16_t)guest);
    if (guest_peers != 0 &&
        xenshm_reachable_peers(region, &reachable) == XENSHM_OK &&
        (reachable & guest_peers) == guest_peers) {
      break;
    }
    status = xenshm_wait(region, 100, &news);
    waited_ms += 100;
    if (status != XENSHM_OK && status != XENSHM_TIMED_OUT) {
      failed = FailCall("guest-reachable", status);
      break;
    }
    guest_peers = 0;
  }
  if (!failed && guest_peers == 0) {
    failed = Fail("guest-reachable", "the guest did not attach in time");
  }
  if (!failed) printf("ok guest-reachable (domain %ld)\n", guest);

  if (!failed) {
    /* Only the guest domain's peers: the selective signal. */
    struct xenshm_signal_report report;
    status = xenshm_signal_domain(region, (uint16_t)guest, &report);
    if (status != XENSHM_OK) {
      failed = FailCall("signal-guest", status);
    } else if (report.reached != guest_peers) {
      failed = Fail("signal-guest", "not every peer of the guest was reached");
    } else {
      printf("ok signal-guest (domain %ld only)\n", guest);
    }
  }

  if (!failed) {
    int answered = 0;
    waited_ms = 0;
    while (!answered && waited_ms < timeout_ms) {
      struct xenshm_signal_status news;
      status = xenshm_wait(region, 100, &news);
      waited_ms += 100;
      if (status == XENSHM_TIMED_OUT) continue;
      if (status != XENSHM_OK) break;
      answered = (news.signaled_by & guest_peers) != 0;
    }
    if (status != XENSHM_OK && status != XENSHM_TIMED_OUT) {
      failed = FailCall("guest-signal", status);
    } else if (!answered) {
      failed = Fail("guest-signal", "no answer in time");
    } else {
      printf("ok guest-signal\n");
    }
  }

  if (!failed) {
    for (at = half; at < real_size; ++at) {
      if (data[at] != PatternByte(1, at - half)) break;
    }
    if (at != real_size) {
      char why[64];
      snprintf(why, sizeof(why), "byte %zu differs", at);
      failed = Fail("guest-pattern", why);
    } else {
      printf("ok guest-pattern (%zu bytes)\n", real_size - half);
    }
    /* Tells the guest it may leave. */
    (void)xenshm_signal_domain(region, (uint16_t)guest, NULL);
  }

  status = xenshm_detach(region);
  if (status != XENSHM_OK && !failed) failed = FailCall("detach", status);
  if (!failed) printf("ok detach\n");
  xenshm_region_free(region);
  xenshm_close(client);
  return failed ? 1 : 0;
}
