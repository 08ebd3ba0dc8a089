// The commit BlockLab was built from. scripts/build.sh writes it into build_commit.h beside
// this header (git-ignored, rewritten only when the commit changes) before it builds; a
// build without it (plain `swift build`, a copy of the sources without .git) says "unknown".
// Only the commit is recorded, never a time or a host, so two builds of one commit are alike.
#ifndef BLOCKLAB_BUILD_INFO_H
#define BLOCKLAB_BUILD_INFO_H

#if __has_include("build_commit.h")
#include "build_commit.h"
#endif
#ifndef BLOCKLAB_BUILD_COMMIT
#define BLOCKLAB_BUILD_COMMIT "unknown"
#endif

/// The full commit hash, with "-dirty" when the work tree had uncommitted changes; or "unknown".
static inline const char *blocklab_build_commit(void) { return BLOCKLAB_BUILD_COMMIT; }

#endif
