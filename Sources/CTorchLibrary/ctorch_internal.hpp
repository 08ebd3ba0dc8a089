// What the model's .cpp files share and the C header does not show: the layout of ct_model
// and ct_optim (one flat parameter buffer, one flat gradient buffer; see ctorch.cpp), and
// the error plumbing (ctorch_errors.hpp). Only ATen, not the whole <torch/torch.h>, so a
// file that needs no autograd compiles faster.
#pragma once

#include "ctorch.h"
#include "ctorch_errors.hpp"

#include <ATen/ATen.h>

#include <string>
#include <vector>

namespace ctorch {

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
    // The model's own CPU generator: the initial weights, then dropout (reseeded by
    // ct_model_set_dropout_seed). libtorch's global generator is never used, so two models in
    // one process never change each other's numbers.
    at::Generator generator;
};

struct ct_optim {
    ct_model *model;
    double beta1, beta2, eps, weight_decay;
    int64_t steps = 0;
    at::Tensor exp_avg, exp_avg_sq; // (N)
};
