// The C API's process groups (ct_dist_*): libtorch's own c10d, as torch.distributed uses it.
// A TCPStore (served by rank 0) for the rendezvous, a ProcessGroupGloo for the collectives
// on CPU tensors, and a heartbeat per rank in the store, so that after a failed collective
// rank 0 can say which rank was lost rather than only that one was.
//
// Store keys (under the caller's prefix, then "blocklab/"): joined (a counter every rank adds
// 1 to), world_size (rank 0's), heartbeat/R (a counter rank R adds 1 to every 200 ms),
// failed/R (rank R's own collective failed: it is alive, its peer is not). Gloo's own keys
// live under "gloo/". The store is served by rank 0, or by a launcher (torchrun's agent).

#include "ctorch_internal.hpp"

// Debian's libtorch is built with Gloo (libtorch_cpu.so holds ProcessGroupGloo), but its
// installed headers only declare it under the build's own macro.
#define USE_C10D_GLOO 1
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>

using namespace ctorch;
using Clock = std::chrono::steady_clock;

struct ct_dist {
    int rank = 0, world = 1;
    std::string master;  // "host:port", for messages
    std::string host;
    uint16_t port = 0;
    bool serve = false;  // this rank serves the store
    std::string prefix;  // every key goes under it
    std::chrono::milliseconds timeout{60000};
    c10::intrusive_ptr<c10d::Store> store;
    c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
    bool broken = false; // a collective failed: the group must not be used (or joined) again

    // The heartbeat: its own connection to the store, so it never waits behind another call.
    c10::intrusive_ptr<c10d::Store> beat_store;
    std::thread beat;
    std::mutex beat_mutex;
    std::condition_variable beat_stop;
    bool stopping = false;
};

namespace {

// An exception's message without libtorch's backtrace.
std::string message_of(const std::exception &e) {
    if (auto c10 = dynamic_cast<const c10::Error *>(&e)) return c10->what_without_backtrace();
    return e.what();
}

// Silences libtorch's own log lines (glog) for a scope: a client that keeps retrying to
// reach the master logs each failure, and the C API reports the outcome itself.
struct QuietLogs {
    int saved = FLAGS_minloglevel;
    QuietLogs() { FLAGS_minloglevel = 3; } // FATAL only
    ~QuietLogs() { FLAGS_minloglevel = saved; }
};

std::string key(const char *name, int rank) { return std::string("blocklab/") + name + "/" + std::to_string(rank); }

std::vector<uint8_t> bytes(const std::string &text) { return std::vector<uint8_t>(text.begin(), text.end()); }

std::string seconds(std::chrono::milliseconds ms) {
    char text[32];
    snprintf(text, sizeof text, "%g s", ms.count() / 1000.0);
    return text;
}

// The local address of the interface that routes to `host` (a UDP socket "connected" to it;
// nothing is sent), so Gloo listens where the other ranks can reach it: 127.0.0.1 for a
// master on this machine, the outward address for one elsewhere.
std::string local_address_towards(const std::string &host, uint16_t port) {
    addrinfo hints{}, *found = nullptr;
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_DGRAM;
    if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0 || !found)
        throw status_error(CT_UNREACHABLE, "the master address " + host + " does not resolve to an IPv4 address");
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in local{};
    socklen_t length = sizeof local;
    bool ok = fd >= 0 && connect(fd, found->ai_addr, found->ai_addrlen) == 0 &&
              getsockname(fd, reinterpret_cast<sockaddr *>(&local), &length) == 0;
    if (fd >= 0) close(fd);
    freeaddrinfo(found);
    if (!ok) throw status_error(CT_UNREACHABLE, "no network route from this machine to the master " + host);
    char text[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &local.sin_addr, text, sizeof text);
    return text;
}

// The store, under the prefix: the serving rank listens (and a failure to is an address in
// use), the others connect, retrying until the timeout.
c10::intrusive_ptr<c10d::Store> open_store(const ct_dist &d, bool serve) {
    c10d::TCPStoreOptions options;
    options.port = d.port;
    options.isServer = serve;
    options.waitWorkers = false;
    options.timeout = d.timeout;
    c10::intrusive_ptr<c10d::Store> store;
    try {
        QuietLogs quiet;
        store = c10::make_intrusive<c10d::TCPStore>(d.host, options);
    } catch (const std::exception &e) {
        std::string what = message_of(e);
        if (serve && (what.find("ddress already in use") != std::string::npos || what.find("errno: 98") != std::string::npos))
            throw status_error(CT_ADDRESS_IN_USE, "port " + std::to_string(d.port) +
                                                      " is already in use on this machine, so the process group's store "
                                                      "cannot be served there");
        if (serve) throw;
        throw status_error(CT_UNREACHABLE, "could not reach the master at " + d.master + " within " + seconds(d.timeout));
    }
    if (d.prefix.empty()) return store;
    return c10::make_intrusive<c10d::PrefixStore>(d.prefix, store);
}

// Every rank adds itself to `joined`, then waits until all have; rank 0 publishes the world
// size first, and a rank that was told another one stops here with both numbers.
void join(ct_dist &d) {
    const auto deadline = Clock::now() + d.timeout;
    auto &store = *d.store;
    if (d.rank == 0) store.set("blocklab/world_size", bytes(std::to_string(d.world)));
    int64_t joined = 0;
    try {
        if (d.rank != 0) {
            store.wait({"blocklab/world_size"}, d.timeout);
            auto value = store.get("blocklab/world_size");
            int theirs = std::atoi(std::string(value.begin(), value.end()).c_str());
            if (theirs != d.world)
                throw status_error(CT_UNREACHABLE, "rank 0 was started for a world of " + std::to_string(theirs) +
                                                       " ranks and this rank for " + std::to_string(d.world) +
                                                       ": start every rank with the same WORLD_SIZE (--nnodes × --nproc-per-node)");
        }
        store.add("blocklab/joined", 1);
        while ((joined = store.add("blocklab/joined", 0)) < d.world && Clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
    } catch (const status_error &) {
        throw;
    } catch (const std::exception &e) {
        throw status_error(CT_UNREACHABLE, "the process group's store at " + d.master + " failed while the ranks joined (" +
                                               message_of(e) + "); something other than rank 0 may be listening there");
    }
    if (joined < d.world)
        throw status_error(CT_UNREACHABLE, "only " + std::to_string(joined) + " of " + std::to_string(d.world) +
                                               " ranks joined the process group at " + d.master + " within " +
                                               seconds(d.timeout));
}

void start_heartbeat(ct_dist &d) {
    d.beat_store = open_store(d, false);
    d.beat = std::thread([&d] {
        const std::string name = key("heartbeat", d.rank);
        std::unique_lock<std::mutex> lock(d.beat_mutex);
        while (!d.stopping) {
            lock.unlock();
            try {
                d.beat_store->add(name, 1);
            } catch (...) {
                return; // the store is gone (rank 0 ended): nobody is listening any more
            }
            lock.lock();
            d.beat_stop.wait_for(lock, std::chrono::milliseconds(200), [&d] { return d.stopping; });
        }
    });
}

// Runs one collective; on failure marks this rank as alive-but-failed in the store (best
// effort) and reports CT_PEER_LOST with Gloo's own message.
template <typename F>
void collective(ct_dist &d, const char *what, F &&body) {
    require(!d.broken, std::string("the process group failed earlier; ") + what + " cannot run on it");
    try {
        body();
    } catch (const std::exception &e) {
        d.broken = true;
        try { d.store->set(key("failed", d.rank), bytes("1")); } catch (...) {}
        std::string message = message_of(e);
        if (auto newline = message.find('\n'); newline != std::string::npos) message.resize(newline);
        throw status_error(CT_PEER_LOST, std::string(what) + " failed: " + message);
    }
}

void wait_all(std::vector<c10::intrusive_ptr<c10d::Work>> &works) {
    for (auto &work : works) work->wait();
}

} // namespace

extern "C" {

ct_status ct_dist_new(const char *master_addr, int32_t master_port, int32_t rank, int32_t world_size, int32_t serve_store,
                      const char *key_prefix, double timeout_seconds, ct_dist **out) {
    return guarded("ct_dist_new", [&] {
        require(master_addr && key_prefix && out, "null argument");
        require(world_size >= 1, "world_size must be positive, got " + std::to_string(world_size));
        require(rank >= 0 && rank < world_size, "rank " + std::to_string(rank) + " is outside [0, " +
                                                    std::to_string(world_size) + ")");
        require(master_port > 0 && master_port < 65536, "master_port must be in 1...65535, got " + std::to_string(master_port));
        require(timeout_seconds > 0, "timeout_seconds must be positive");
        auto d = std::make_unique<ct_dist>();
        d->rank = rank;
        d->world = world_size;
        d->host = master_addr;
        d->port = (uint16_t)master_port;
        d->master = d->host + ":" + std::to_string(master_port);
        d->serve = serve_store != 0;
        d->prefix = key_prefix;
        d->timeout = std::chrono::milliseconds((int64_t)(timeout_seconds * 1000));
        d->store = open_store(*d, d->serve);
        join(*d);

        auto options = c10d::ProcessGroupGloo::Options::create(d->timeout);
        const char *interface = std::getenv("GLOO_SOCKET_IFNAME");
        options->devices.push_back(interface && *interface
                                       ? c10d::ProcessGroupGloo::createDeviceForInterface(interface)
                                       : c10d::ProcessGroupGloo::createDeviceForHostname(
                                             local_address_towards(d->host, d->port)));
        options->threads = 1;
        try {
            d->group = c10::make_intrusive<c10d::ProcessGroupGloo>(
                c10::make_intrusive<c10d::PrefixStore>("gloo", d->store), rank, world_size, options);
        } catch (const std::exception &e) {
            throw status_error(CT_UNREACHABLE, "the ranks could not connect to each other over Gloo: " + message_of(e));
        }
        start_heartbeat(*d);
        *out = d.release();
    });
}

void ct_dist_free(ct_dist *dist) {
    if (!dist) return;
    {
        std::lock_guard<std::mutex> lock(dist->beat_mutex);
        dist->stopping = true;
    }
    dist->beat_stop.notify_all();
    if (dist->beat.joinable()) dist->beat.join();
    if (dist->broken) {
        // Gloo's worker thread may be blocked on a lost peer until the timeout: leave it (and
        // the group) to the process's end instead of waiting for it here.
        (void)dist->group.release();
    }
    delete dist;
}

ct_status ct_dist_broadcast_parameters(ct_dist *dist, ct_model *model, int32_t root) {
    return guarded("ct_dist_broadcast_parameters", [&] {
        at::NoGradGuard no_grad;
        collective(*dist, "broadcasting the parameters", [&] {
            std::vector<at::Tensor> tensors{model->flat};
            c10d::BroadcastOptions options;
            options.rootRank = root;
            dist->group->broadcast(tensors, options)->wait();
        });
    });
}

ct_status ct_dist_broadcast_optimizer(ct_dist *dist, ct_optim *optim, int32_t root) {
    return guarded("ct_dist_broadcast_optimizer", [&] {
        collective(*dist, "broadcasting the optimizer state", [&] {
            auto steps = at::full({1}, (double)optim->steps, at::kDouble);
            std::vector<c10::intrusive_ptr<c10d::Work>> works;
            for (auto tensor : {optim->exp_avg, optim->exp_avg_sq, steps}) {
                std::vector<at::Tensor> one{tensor};
                c10d::BroadcastOptions options;
                options.rootRank = root;
                works.push_back(dist->group->broadcast(one, options));
            }
            wait_all(works);
            optim->steps = (int64_t)steps.item<double>();
        });
    });
}

ct_status ct_dist_all_reduce_gradients(ct_dist *dist, ct_model *model, int64_t bucket_bytes) {
    return guarded("ct_dist_all_reduce_gradients", [&] {
        collective(*dist, "summing the gradients", [&] {
            const int64_t total = model->flat_grad.numel();
            const int64_t per = bucket_bytes > 0 ? std::max<int64_t>(1, bucket_bytes / (int64_t)sizeof(float)) : total;
            std::vector<c10::intrusive_ptr<c10d::Work>> works;
            for (int64_t offset = 0; offset < total; offset += per) {
                std::vector<at::Tensor> bucket{model->flat_grad.narrow(0, offset, std::min(per, total - offset))};
                works.push_back(dist->group->allreduce(bucket));
            }
            wait_all(works);
        });
    });
}

ct_status ct_dist_all_reduce_sum(ct_dist *dist, double *values, int64_t count) {
    return guarded("ct_dist_all_reduce_sum", [&] {
        require(values && count > 0, "values must hold at least one number");
        collective(*dist, "summing over ranks", [&] {
            std::vector<at::Tensor> tensors{at::from_blob(values, {count}, at::kDouble)};
            dist->group->allreduce(tensors)->wait();
        });
    });
}

ct_status ct_dist_all_gather(ct_dist *dist, const uint8_t *bytes, int64_t size, uint8_t *out) {
    return guarded("ct_dist_all_gather", [&] {
        require(bytes && out && size > 0, "all_gather needs at least one byte from every rank");
        collective(*dist, "gathering from every rank", [&] {
            std::vector<at::Tensor> input{at::from_blob(const_cast<uint8_t *>(bytes), {size}, at::kByte).clone()};
            std::vector<std::vector<at::Tensor>> output(1);
            for (int r = 0; r < dist->world; r++) output[0].push_back(at::from_blob(out + r * size, {size}, at::kByte));
            dist->group->allgather(output, input)->wait();
        });
    });
}

ct_status ct_dist_lost_ranks(ct_dist *dist, double window_seconds, int32_t *out_lost) {
    return guarded("ct_dist_lost_ranks", [&] {
        auto &store = *dist->store;
        try {
            std::vector<int64_t> before(dist->world, 0);
            for (int r = 0; r < dist->world; r++)
                if (r != dist->rank) before[r] = store.add(key("heartbeat", r), 0);
            std::this_thread::sleep_for(std::chrono::milliseconds((int64_t)(window_seconds * 1000)));
            for (int r = 0; r < dist->world; r++) {
                out_lost[r] = 0;
                if (r == dist->rank) continue;
                bool still = store.add(key("heartbeat", r), 0) == before[r];
                out_lost[r] = still && !store.check({key("failed", r)}) ? 1 : 0;
            }
        } catch (const status_error &) {
            throw;
        } catch (const std::exception &) {
            throw status_error(CT_PEER_LOST, "the process group's store at " + dist->master +
                                                 " is gone: rank 0, which served it, has stopped");
        }
    });
}

} // extern "C"
