// The caching CPU allocator the C API can install (ct_use_caching_allocator): training
// and the sentence encoder free and allocate the same large sizes over and over, and this
// keeps those blocks instead of handing them back to glibc.

#include "ctorch_errors.hpp"

#include <c10/core/CPUAllocator.h>

#include <cstdlib>
#include <map>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

namespace {

using namespace ctorch;

// A caching CPU allocator: a training step frees and allocates the same sizes every step,
// and glibc serves large ones with fresh mmap pages that the kernel faults in and zeroes
// each time (measured: ~60k page faults and ~15% of CPU time per step of the benchmark
// model). Freed blocks of >= 64 KiB are kept per size and handed out again, to a request of
// that size or of up to a quarter less (a sentence encoder's batches, sorted longest first,
// shrink a little from one to the next and so reuse the previous batch's blocks); smaller
// ones go straight back to malloc. When a freed block would take the cache over its limit,
// the largest cached blocks are released first. When an allocation fails, the cache is
// released and the allocation retried once before reporting out of memory.
class BlockCache {
  public:
    static BlockCache &shared() {
        static BlockCache *cache = new BlockCache(); // never destroyed: tensors may outlive main
        return *cache;
    }

    void *acquire(size_t n) {
        if (n == 0) return nullptr;
        const size_t size = n >= kCachedMin ? (n + kPage - 1) / kPage * kPage : n;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (size >= kCachedMin) {
                // The smallest cached block that fits, if it wastes at most a quarter of itself.
                auto it = free_.lower_bound(size);
                if (it != free_.end() && it->first - it->first / 4 <= size) {
                    void *p = it->second.back();
                    cached_bytes_ -= it->first;
                    it->second.pop_back();
                    if (it->second.empty()) free_.erase(it);
                    return p;
                }
            }
        }
        void *p = nullptr;
        if (posix_memalign(&p, kAlignment, size) != 0) {
            release_cache();
            if (posix_memalign(&p, kAlignment, size) != 0) p = nullptr;
        }
        TORCH_CHECK_WITH(OutOfMemoryError, p != nullptr, "CPU allocator: can't allocate memory: you tried to allocate ", n,
                         " bytes");
        std::lock_guard<std::mutex> lock(mutex_);
        sizes_[p] = size;
        return p;
    }

    void give_back(void *p) {
        if (!p) return;
        std::lock_guard<std::mutex> lock(mutex_);
        auto it = sizes_.find(p);
        if (it == sizes_.end()) { std::free(p); return; }
        const size_t size = it->second;
        if (size < kCachedMin || size > limit_) {
            sizes_.erase(it);
            std::free(p);
            return;
        }
        while (cached_bytes_ + size > limit_) { // the largest first: the likeliest to be stale
            auto largest = std::prev(free_.end());
            void *old = largest->second.back();
            largest->second.pop_back();
            cached_bytes_ -= largest->first;
            if (largest->second.empty()) free_.erase(largest);
            sizes_.erase(old);
            std::free(old);
        }
        free_[size].push_back(p);
        cached_bytes_ += size;
    }

    void release_cache() {
        std::lock_guard<std::mutex> lock(mutex_);
        for (auto &entry : free_) {
            for (void *p : entry.second) { sizes_.erase(p); std::free(p); }
        }
        free_.clear();
        cached_bytes_ = 0;
    }

    void set_limit(size_t bytes) { std::lock_guard<std::mutex> lock(mutex_); limit_ = bytes; }

  private:
    static constexpr size_t kAlignment = 64; // c10's CPU alignment
    static constexpr size_t kCachedMin = 64 * 1024;
    static constexpr size_t kPage = 4096;
    std::mutex mutex_;
    std::unordered_map<void *, size_t> sizes_;              // every block from acquire, live or cached
    std::map<size_t, std::vector<void *>> free_;            // cached blocks by size; no empty lists
    size_t cached_bytes_ = 0;
    size_t limit_ = (size_t)1 << 62;
};

struct CachingCPUAllocator final : public c10::Allocator {
    static void release(void *p) { BlockCache::shared().give_back(p); }
    c10::DataPtr allocate(size_t n) const override {
        void *p = BlockCache::shared().acquire(n);
        return {p, p, &release, c10::Device(c10::DeviceType::CPU)};
    }
    c10::DeleterFnPtr raw_deleter() const override { return &release; }
};

} // namespace

extern "C" {

ct_status ct_use_caching_allocator(int64_t cache_limit_bytes) {
    return guarded("ct_use_caching_allocator", [&] {
        static CachingCPUAllocator allocator;
        static std::once_flag installed;
        BlockCache::shared().set_limit(cache_limit_bytes > 0 ? (size_t)cache_limit_bytes : (size_t)1 << 62);
        std::call_once(installed, [] { c10::SetCPUAllocator(&allocator, /*priority=*/10); });
    });
}

void ct_release_cached_memory(void) { BlockCache::shared().release_cache(); }

} // extern "C"
