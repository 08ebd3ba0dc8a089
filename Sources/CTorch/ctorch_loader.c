// Defines every function of ctorch.h as a call into libBlockLabTorch.so, which is opened on
// the first call (or by ct_library_load). Linking libtorch directly would run its static
// initialisers at every process start (~1 s here), also for commands that never use a model.
//
// Until the library is loaded, and when it cannot be: functions return CT_ERROR, queries 0,
// procedures do nothing, and ct_last_error() says what is missing and how to install it.

#include "ctorch.h"

#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CT_LIBRARY_NAME "libBlockLabTorch.so"

static void *library;
static char library_path[PATH_MAX];
static char load_error[PATH_MAX + 1024];
static pthread_once_t load_once = PTHREAD_ONCE_INIT;

static const char *(*library_last_error)(void);
#define CT_FUNCTION(name, params, args) static ct_status(*library_##name) params;
#define CT_QUERY(type, name, params, args) static type(*library_##name) params;
#define CT_PROCEDURE(name, params, args) static void(*library_##name) params;
#include "ctorch_functions.def"
#undef CT_FUNCTION
#undef CT_QUERY
#undef CT_PROCEDURE

// $BLOCKLAB_TORCH_LIBRARY, else the library beside the running executable (where SwiftPM
// builds it, and where an install puts it).
static void find_library(void) {
    const char *chosen = getenv("BLOCKLAB_TORCH_LIBRARY");
    if (chosen && *chosen) {
        snprintf(library_path, sizeof library_path, "%s", chosen);
        return;
    }
    char executable[PATH_MAX];
    ssize_t length = readlink("/proc/self/exe", executable, sizeof executable - 1);
    if (length <= 0) {
        snprintf(library_path, sizeof library_path, "%s", CT_LIBRARY_NAME);
        return;
    }
    executable[length] = '\0';
    char *slash = strrchr(executable, '/');
    if (slash) *slash = '\0';
    snprintf(library_path, sizeof library_path, "%s/%s", executable, CT_LIBRARY_NAME);
}

static int resolve(const char *name, void **slot) {
    *slot = dlsym(library, name);
    if (*slot) return 1;
    snprintf(load_error, sizeof load_error,
             "%s has no function %s: it was built from other sources than this blocklab; rebuild both "
             "(swift build -c release)", library_path, name);
    return 0;
}

static void load(void) {
    find_library();
    library = dlopen(library_path, RTLD_NOW | RTLD_LOCAL);
    if (!library) {
        const char *why = dlerror();
        snprintf(load_error, sizeof load_error,
                 "cannot load BlockLab's libtorch library (%s). Commands that use a model need Debian's "
                 "libtorch (apt-get install libtorch-dev libopenblas0-openmp) and %s beside the blocklab binary, "
                 "or its path in BLOCKLAB_TORCH_LIBRARY",
                 why ? why : library_path, CT_LIBRARY_NAME);
        return;
    }
    int ok = resolve("ct_last_error", (void **)&library_last_error);
#define CT_FUNCTION(name, params, args) ok = ok && resolve(#name, (void **)&library_##name);
#define CT_QUERY(type, name, params, args) ok = ok && resolve(#name, (void **)&library_##name);
#define CT_PROCEDURE(name, params, args) ok = ok && resolve(#name, (void **)&library_##name);
#include "ctorch_functions.def"
#undef CT_FUNCTION
#undef CT_QUERY
#undef CT_PROCEDURE
    if (!ok) {
        dlclose(library);
        library = NULL;
    }
}

static int loaded(void) {
    pthread_once(&load_once, load);
    return library != NULL;
}

ct_status ct_library_load(void) { return loaded() ? CT_OK : CT_ERROR; }

const char *ct_library_path(void) {
    pthread_once(&load_once, load);
    return library_path;
}

const char *ct_last_error(void) { return loaded() ? library_last_error() : load_error; }

#define CT_FUNCTION(name, params, args) \
    ct_status name params { return loaded() ? library_##name args : CT_ERROR; }
#define CT_QUERY(type, name, params, args) \
    type name params { return loaded() ? library_##name args : (type)0; }
#define CT_PROCEDURE(name, params, args) \
    void name params {                  \
        if (loaded()) library_##name args; \
    }
#include "ctorch_functions.def"
#undef CT_FUNCTION
#undef CT_QUERY
#undef CT_PROCEDURE
