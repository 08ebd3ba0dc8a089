// What the library's .cpp files share and the C header does not show: the error plumbing
// every entry point goes through, and the layout of ct_model and ct_optim (one flat
// parameter buffer, one flat gradient buffer; see ctorch.cpp). Only ATen, not the whole
// <torch/torch.h>, so a file that needs no autograd compiles faster.
#pragma once

#include "ctorch.h"

#include <ATen/ATen.h>
#include <c10/util/Exception.h>

#include <new>
#include <stdexcept>
#include <string>
#include <vector>

namespace ctorch {

// The message of the last failed call on this thread (ct_last_error).
extern thread_local std::string last_error;

inline ct_status fail(ct_status code, const std::string &message) {
    last_error = message;
    return code;
}

inline bool looks_like_oom(const std::string &what) {
    return what.find("not enough memory") != std::string::npos || what.find("can't allocate") != std::string::npos ||
           what.find("out of memory") != std::string::npos;
}

// An error that already carries the status it should become (the distributed calls use it
// to tell a lost peer from an address in use).
struct status_error : std::runtime_error {
    ct_status status;
    status_error(ct_status status, const std::string &message) : std::runtime_error(message), status(status) {}
};

// Every entry point runs its body through this: no exception crosses the C boundary.
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

inline void require(bool condition, const std::string &message) {
    if (!condition) throw std::invalid_argument(message);
}

struct Param {
    std::string name;
    at::Tensor value; // leaf view into the flat buffer, requires grad
    int64_t offset;   // into the flat buffer
    bool decay;
};

struct Block {
    at::Tensor ln_1_w, ln_1_b;           // (C)
    at::Tensor c_attn_w, c_attn_b;       // (C, 3C), (3C)
    at::Tensor attn_proj_w, attn_proj_b; // (C, C), (C)
    at::Tensor ln_2_w, ln_2_b;           // (C)
    at::Tensor c_fc_w, c_fc_b;           // (C, 4C), (4C)
    at::Tensor mlp_proj_w, mlp_proj_b;   // (4C, C), (C)
};

} // namespace ctorch

struct ct_model {
    ct_gpt_config config;
    c10::Device device = c10::Device(c10::DeviceType::CPU);
    bool training = false;
    at::Tensor flat;         // (N) all parameters
    at::Tensor flat_grad;    // (N) all gradients
    int64_t decay_numel = 0; // flat[0, decay_numel) are matrices
    std::vector<ctorch::Param> params;
    at::Tensor wte, wpe; // (V, C), (n_positions, C)
    std::vector<ctorch::Block> blocks;
    at::Tensor ln_f_w, ln_f_b; // (C)
    at::Tensor causal_mask;    // (n_positions, n_positions): 0 on and below the diagonal, -inf above
};

struct ct_optim {
    ct_model *model;
    double beta1, beta2, eps, weight_decay;
    int64_t steps = 0;
    at::Tensor exp_avg, exp_avg_sq; // (N)
};
