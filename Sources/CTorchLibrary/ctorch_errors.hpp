// The error plumbing every CTorch .cpp file shares (internal: not part of the C API).
//
// Every entry point runs its body through guarded(): no C++ exception crosses the C
// boundary; a failure becomes a ct_status and a message kept per thread, which
// ct_last_error() returns.
#ifndef CTORCH_ERRORS_HPP
#define CTORCH_ERRORS_HPP

#include "ctorch.h"

#include <c10/util/Exception.h>

#include <new>
#include <stdexcept>
#include <string>

namespace ctorch {

// One per thread, shared by every translation unit (C++17 inline variable).
inline thread_local std::string last_error;

inline ct_status fail(ct_status code, const std::string &message) {
    last_error = message;
    return code;
}

inline bool looks_like_oom(const std::string &what) {
    return what.find("not enough memory") != std::string::npos ||
           what.find("can't allocate") != std::string::npos ||
           what.find("out of memory") != std::string::npos;
}

// An error that already carries the status it should become (the distributed calls use it
// to tell a lost peer from an address in use).
struct status_error : std::runtime_error {
    ct_status status;
    status_error(ct_status status, const std::string &message) : std::runtime_error(message), status(status) {}
};

template <typename F>
ct_status guarded(const char *call, F &&body) {
    try {
        body();
        last_error.clear();
        return CT_OK;
    } catch (const status_error &e) {
        return fail(e.status, std::string(call) + ": " + e.what());
    } catch (const c10::OutOfMemoryError &e) {
        return fail(CT_OUT_OF_MEMORY, std::string(call) + ": out of memory: " + e.what_without_backtrace());
    } catch (const std::bad_alloc &) {
        return fail(CT_OUT_OF_MEMORY, std::string(call) + ": out of memory (std::bad_alloc)");
    } catch (const std::invalid_argument &e) {
        return fail(CT_INVALID_ARGUMENT, std::string(call) + ": " + e.what());
    } catch (const c10::Error &e) {
        std::string what = e.what_without_backtrace();
        return fail(looks_like_oom(what) ? CT_OUT_OF_MEMORY : CT_ERROR, std::string(call) + ": " + what);
    } catch (const std::exception &e) {
        return fail(CT_ERROR, std::string(call) + ": " + e.what());
    } catch (...) {
        return fail(CT_ERROR, std::string(call) + ": unknown C++ exception");
    }
}

// A caller mistake: reported as CT_INVALID_ARGUMENT with `message`.
inline void require(bool condition, const std::string &message) {
    if (!condition) throw std::invalid_argument(message);
}

} // namespace ctorch

#endif
