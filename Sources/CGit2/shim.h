// libgit2 for Swift. Swift cannot call C variadic functions, so the few
// `git_libgit2_opts` settings BlockLab uses are wrapped here as plain functions.
#ifndef BLOCKLAB_CGIT2_SHIM_H
#define BLOCKLAB_CGIT2_SHIM_H

#include <git2.h>

/// Objects are read, never written, by BlockLab: re-hashing every object read from the
/// object database (libgit2's default) costs time and finds nothing git's own checks miss.
static inline int cgit2_set_strict_hash_verification(int enabled) {
    return git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, enabled);
}

/// Upper bound, in bytes, of libgit2's object cache, shared by all repository handles.
static inline int cgit2_set_cache_max_size(ssize_t bytes) {
    return git_libgit2_opts(GIT_OPT_SET_CACHE_MAX_SIZE, bytes);
}

/// Largest object of `type` kept in the object cache (libgit2 caches no blobs by default;
/// a scrape reads each changed blob twice, as the new side and later as the old side).
static inline int cgit2_set_cache_object_limit(git_object_t type, size_t bytes) {
    return git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, type, bytes);
}

#endif
