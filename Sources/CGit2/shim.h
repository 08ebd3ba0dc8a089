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

#endif
