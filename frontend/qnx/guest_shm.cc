// guest_shm.h over the C API. The factory and each control page are private
// pages of this process; the library keeps what it decides by (the region
// handle, the index) in its own tables, never in those pages, which the
// program can reach.
#include "xenshm/guest_shm.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "frontend/qnx/compat_peer.h"
#include "frontend/qnx/handles.h"

namespace xenshm::qnx {
namespace {

static_assert(sizeof(guest_shm_factory) == 64);
static_assert(offsetof(guest_shm_factory, name) == 28);
static_assert(offsetof(guest_shm_factory, find) == 60);
static_assert(sizeof(guest_shm_control) == 16);
static_assert(offsetof(guest_shm_control, idx) == 4);

constexpr size_t kControlSize = GUEST_SHM_CONTROL_SIZE;

struct Factory;

struct Connection {
  Factory* factory = nullptr;
  guest_shm_control* ctrl = nullptr;  // mapped right before the data
  CompatPeer peer;

  ~Connection() {
    peer.Detach();
    if (ctrl != nullptr) munmap(ctrl, kControlSize);
  }
};

struct Factory {
  guest_shm_factory regs{};
  xenshm_client* client = nullptr;
  bool owns_client = false;

  ~Factory() {
    if (owns_client) xenshm_close(client);
  }
};

// Every live factory and connection, by the pointer the program holds: a
// pointer not in here is refused, not dereferenced. Never destroyed: at
// exit, what the program left attached goes with the process (xenshmd sees
// it die) instead of detaching from static destructors.
struct Tables {
  std::mutex mu;
  std::map<const guest_shm_factory*, std::unique_ptr<Factory>> factories;
  std::map<const guest_shm_control*, std::unique_ptr<Connection>> connections;
};

Tables& tables() {
  static Tables* const tables = new Tables;
  return *tables;
}

Connection* FindConnection(const guest_shm_control* ctrl) {
  Tables& t = tables();
  std::lock_guard lock(t.mu);
  auto it = t.connections.find(ctrl);
  return it == t.connections.end() ? nullptr : it->second.get();
}

Factory* FindFactory(const guest_shm_factory* regs) {
  Tables& t = tables();
  std::lock_guard lock(t.mu);
  auto it = t.factories.find(regs);
  return it == t.factories.end() ? nullptr : it->second.get();
}

// Where the control page goes: the page right before the data, so
// `(char *)ctrl + 0x1000` is the data. The C API maps a region where the
// kernel chooses (libxengnttab takes no address), and the kernel chooses
// the same spot for the same size (the top of the highest gap that fits),
// so a probe mapping of that size shows the spot first. Spots whose page
// below is taken are plugged with their probe until the attach is done.
class ControlPlacement {
 public:
  explicit ControlPlacement(uint64_t bytes) {
    // Past xenshm's largest region the attach fails anyway: no probes.
    if (bytes > kMaxProbe) return;
    for (int tries = 0; tries < 64 && bytes > 0; ++tries) {
      void* probe = mmap(nullptr, bytes, PROT_NONE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
      if (probe == MAP_FAILED) return;
      char* below = static_cast<char*>(probe) - kControlSize;
      if (MapPageAt(below)) {
        munmap(probe, bytes);
        ctrl_ = below;
        return;
      }
      plugs_.push_back({probe, bytes});
    }
  }
  ~ControlPlacement() {
    ReleasePlugs();
    if (ctrl_ != nullptr) munmap(ctrl_, kControlSize);
  }

  // The control page for the region mapped at `data`: the prepared one if
  // the data went where the probe was, else the page below it if free
  // (the region was bigger than asked, or another thread mapped meanwhile).
  guest_shm_control* Take(void* data, uint32_t index) {
    char* want = static_cast<char*>(data) - kControlSize;
    if (ctrl_ != want) {
      if (ctrl_ != nullptr) munmap(ctrl_, kControlSize);
      ctrl_ = nullptr;
      // A plug may be what sits below the data.
      ReleasePlugs();
      if (!MapPageAt(want)) {
        SetLastError(
            "the page before the region's mapping is in use: no room for "
            "the control page");
        return nullptr;
      }
    }
    ctrl_ = nullptr;
    auto* ctrl = reinterpret_cast<guest_shm_control*>(want);
    ctrl->idx = index;
    // Read-only: a store left from QNX code (notify, detach) faults instead
    // of doing nothing.
    mprotect(want, kControlSize, PROT_READ);
    return ctrl;
  }

 private:
  static constexpr uint64_t kMaxProbe = uint64_t{1} << 30;

  void ReleasePlugs() {
    for (const auto& [address, bytes] : plugs_) munmap(address, bytes);
    plugs_.clear();
  }

  static bool MapPageAt(char* address) {
    void* page = mmap(address, kControlSize, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (page == address) return true;
    // Kernels before 4.17 take the flag as a hint and map elsewhere.
    if (page != MAP_FAILED) munmap(page, kControlSize);
    return false;
  }

  char* ctrl_ = nullptr;
  std::vector<std::pair<void*, uint64_t>> plugs_;
};

// Attaches `connection` with its control page before the data. The probe
// uses the size asked for; a region someone else created may be larger and
// land elsewhere, and if the page before it is taken, the attach is undone
// and made once more with a probe of the real size (peers see this peer
// leave and join again).
uint32_t AttachPlaced(Connection& connection, xenshm_client* client,
                      const std::string& name, uint64_t bytes, bool create) {
  for (int attempt = 0;; ++attempt) {
    ControlPlacement placement(bytes);
    uint32_t gss = connection.peer.Attach(client, name, bytes, create);
    if (gss != GSS_OK) return gss;
    xenshm_region* region = connection.peer.region();
    connection.ctrl =
        placement.Take(xenshm_region_data(region), connection.peer.index());
    if (connection.ctrl != nullptr) return GSS_OK;
    const uint64_t mapped = (xenshm_region_size(region) + kControlSize - 1) /
                            kControlSize * kControlSize;
    connection.peer.Detach();
    if (attempt > 0 || mapped == bytes) return GSS_NOMEM;
    bytes = mapped;
  }
}

uint32_t Connect(guest_shm_factory* regs, uint32_t pages, bool create) {
  Factory* factory = FindFactory(regs);
  if (factory == nullptr) {
    SetLastError("not a factory of guest_shm_factory_open");
    errno = EINVAL;
    return GSS_UNKNOWN_FAILURE;
  }
  auto connection = std::make_unique<Connection>();
  connection->factory = factory;
  const uint32_t gss =
      AttachPlaced(*connection, factory->client, NameFrom(regs->name),
                   uint64_t{pages} * kControlSize, create);
  regs->status = gss;
  if (gss != GSS_OK) {
    regs->shmem = 0;
    return gss;
  }
  xenshm_region* region = connection->peer.region();
  regs->shmem = reinterpret_cast<uintptr_t>(connection->ctrl);
  regs->vector = static_cast<uint32_t>(xenshm_event_fd(region));
  regs->size = static_cast<uint32_t>(
      (xenshm_region_size(region) + kControlSize - 1) / kControlSize);
  Tables& t = tables();
  std::lock_guard lock(t.mu);
  t.connections[connection->ctrl] = std::move(connection);
  return GSS_OK;
}

}  // namespace

guest_shm_factory* NewFactory(xenshm_client* client, bool owns) {
  auto factory = std::make_unique<Factory>();
  factory->client = client;
  factory->owns_client = owns;
  factory->regs.signature = GUEST_SHM_SIGNATURE;
  guest_shm_factory* regs = &factory->regs;
  Tables& t = tables();
  std::lock_guard lock(t.mu);
  t.factories[regs] = std::move(factory);
  return regs;
}

}  // namespace xenshm::qnx

using namespace xenshm::qnx;

extern "C" {

guest_shm_factory* guest_shm_factory_open_on(xenshm_client* client) {
  if (client == nullptr) {
    SetLastError("guest_shm_factory_open_on: NULL client");
    errno = EINVAL;
    return nullptr;
  }
  return NewFactory(client, /*owns=*/false);
}

void guest_shm_factory_close(guest_shm_factory* regs) {
  std::unique_ptr<Factory> factory;
  std::map<const guest_shm_control*, std::unique_ptr<Connection>> mine;
  {
    Tables& t = tables();
    std::lock_guard lock(t.mu);
    auto it = t.factories.find(regs);
    if (it == t.factories.end()) return;
    factory = std::move(it->second);
    t.factories.erase(it);
    for (auto c = t.connections.begin(); c != t.connections.end();) {
      if (c->second->factory == factory.get()) {
        mine.insert(t.connections.extract(c++));
      } else {
        ++c;
      }
    }
  }
  mine.clear();  // detaches, outside the lock: it waits for xenshmd
}

uint32_t guest_shm_create(guest_shm_factory* factory, uint32_t pages) {
  return Connect(factory, pages, /*create=*/true);
}

uint32_t guest_shm_find(guest_shm_factory* factory) {
  return Connect(factory, 1, /*create=*/false);
}

int guest_shm_notify(guest_shm_control* ctrl, uint32_t clients) {
  Connection* connection = FindConnection(ctrl);
  if (connection == nullptr) {
    SetLastError("guest_shm_notify: not an attached control page");
    errno = EINVAL;
    return -1;
  }
  return connection->peer.Notify(clients) == XENSHM_OK ? 0 : -1;
}

uint32_t guest_shm_status(guest_shm_control* ctrl) {
  Connection* connection = FindConnection(ctrl);
  if (connection == nullptr) return 0;
  return connection->peer.TakeStatusWord();
}

int guest_shm_detach(guest_shm_control* ctrl) {
  std::unique_ptr<Connection> connection;
  {
    Tables& t = tables();
    std::lock_guard lock(t.mu);
    auto it = t.connections.find(ctrl);
    if (it == t.connections.end()) {
      SetLastError("guest_shm_detach: not an attached control page");
      errno = EINVAL;
      return -1;
    }
    connection = std::move(it->second);
    t.connections.erase(it);
  }
  int status = connection->peer.Detach();
  connection.reset();
  return status == XENSHM_OK ? 0 : -1;
}

const char* guest_shm_last_error(void) { return LastError(); }

}  // extern "C"
