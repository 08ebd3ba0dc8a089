// The C API of ctorch.h: GPT-2 exactly as Hugging Face's GPT2LMHeadModel, and AdamW, on libtorch.
//
// Parameters live in ONE flat float buffer (and their gradients in another): each named
// parameter is a leaf view into it, and each gradient a view into the flat gradient, so
// autograd accumulates in place, and the gradient norm, clipping and AdamW are a handful of
// whole-buffer operations instead of one loop per tensor. Matrices (weight decay) come
// first in the buffer, vectors (no decay) after them.
//
// Shapes: B batch, T time, C n_embd, H n_head, D = C / H, V vocab_size.

#include "ctorch_internal.hpp"

#include <torch/torch.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>

#include <cstdlib>
#include <mutex>

#include <cmath>
#include <cstring>
#include <new>
#include <string>
#include <vector>

// OpenMP's, from libgomp, which libtorch_cpu.so runs its parallel loops on and loads; declared
// here because clang does not search GCC's folder for <omp.h>.
extern "C" void omp_set_num_threads(int threads);

namespace {

using namespace ctorch;

// Declares the parameters in Hugging Face's names; matrices first so they are contiguous.
// The random ones are drawn from the model's own generator (m.generator), on the CPU whatever
// the device, so one seed gives the same weights everywhere.
void build_parameters(ct_model &m) {
    const auto &c = m.config;
    const int64_t C = c.n_embd;
    struct Spec { std::string name; std::vector<int64_t> shape; torch::Tensor *slot; double std; };
    std::vector<Spec> specs;
    const double std = c.initializer_range;
    const double proj_std = std / std::sqrt(2.0 * (double)c.n_layer); // GPT-2's scaled residual init
    m.blocks.resize(c.n_layer);
    specs.push_back({"transformer.wte.weight", {c.vocab_size, C}, &m.wte, std});
    specs.push_back({"transformer.wpe.weight", {c.n_positions, C}, &m.wpe, std});
    for (int64_t i = 0; i < c.n_layer; i++) {
        auto p = "transformer.h." + std::to_string(i) + ".";
        auto &b = m.blocks[i];
        specs.push_back({p + "attn.c_attn.weight", {C, 3 * C}, &b.c_attn_w, std});
        specs.push_back({p + "attn.c_proj.weight", {C, C}, &b.attn_proj_w, proj_std});
        specs.push_back({p + "mlp.c_fc.weight", {C, 4 * C}, &b.c_fc_w, std});
        specs.push_back({p + "mlp.c_proj.weight", {4 * C, C}, &b.mlp_proj_w, proj_std});
    }
    // Vectors: LayerNorm weights are 1 (std < 0 marks them), biases 0.
    for (int64_t i = 0; i < c.n_layer; i++) {
        auto p = "transformer.h." + std::to_string(i) + ".";
        auto &b = m.blocks[i];
        specs.push_back({p + "ln_1.weight", {C}, &b.ln_1_w, -1});
        specs.push_back({p + "ln_1.bias", {C}, &b.ln_1_b, 0});
        specs.push_back({p + "attn.c_attn.bias", {3 * C}, &b.c_attn_b, 0});
        specs.push_back({p + "attn.c_proj.bias", {C}, &b.attn_proj_b, 0});
        specs.push_back({p + "ln_2.weight", {C}, &b.ln_2_w, -1});
        specs.push_back({p + "ln_2.bias", {C}, &b.ln_2_b, 0});
        specs.push_back({p + "mlp.c_fc.bias", {4 * C}, &b.c_fc_b, 0});
        specs.push_back({p + "mlp.c_proj.bias", {C}, &b.mlp_proj_b, 0});
    }
    specs.push_back({"transformer.ln_f.weight", {C}, &m.ln_f_w, -1});
    specs.push_back({"transformer.ln_f.bias", {C}, &m.ln_f_b, 0});

    int64_t total = 0;
    for (auto &s : specs) {
        int64_t n = 1;
        for (auto d : s.shape) n *= d;
        total += n;
    }
    auto options = torch::TensorOptions().dtype(torch::kFloat32).device(m.device);
    m.flat = torch::empty({total}, options);
    m.flat_grad = torch::zeros({total}, options);
    int64_t offset = 0;
    torch::NoGradGuard no_grad;
    for (auto &s : specs) {
        int64_t n = 1;
        for (auto d : s.shape) n *= d;
        auto view = m.flat.narrow(0, offset, n).view(s.shape);
        if (s.std > 0 && m.device.is_cpu()) view.normal_(0.0, s.std, m.generator);
        else if (s.std > 0) view.copy_(torch::empty(s.shape, torch::kFloat32).normal_(0.0, s.std, m.generator));
        else if (s.std < 0) view.fill_(1.0);
        else view.zero_();
        view.requires_grad_(true);
        view.mutable_grad() = m.flat_grad.narrow(0, offset, n).view(s.shape);
        *s.slot = view;
        bool decay = s.shape.size() >= 2;
        if (decay) m.decay_numel = offset + n;
        m.params.push_back({s.name, view, offset, decay});
        offset += n;
    }
    auto P = c.n_positions;
    m.causal_mask = torch::full({P, P}, -std::numeric_limits<float>::infinity(), options).triu(1);
}

// Dropout with the same law as torch::dropout (keep with probability 1 - p, scale by
// 1 / (1 - p)), but on CPU the mask comes from a counter-based hash run in parallel instead
// of libtorch 1.13's serial Bernoulli sampler, which costs ~20 ns per element. Its seed is
// drawn from the model's own generator (ct_model_set_dropout_seed), never from libtorch's
// global one, so what else runs in the process cannot change it. On CUDA, torch::dropout
// draws from the device's global generator, which ct_model_set_dropout_seed seeds.
torch::Tensor dropout(ct_model &model, const torch::Tensor &x, double p) {
    if (!x.device().is_cpu()) return torch::dropout(x, p, true);
    uint64_t seed;
    {
        std::lock_guard<std::mutex> lock(model.generator.mutex());
        seed = model.generator.get<at::CPUGeneratorImpl>()->random64();
    }
    auto mask = torch::empty(x.sizes(), x.options().requires_grad(false));
    float *m = mask.data_ptr<float>();
    const float scale = (float)(1.0 / (1.0 - p));
    const uint32_t threshold = (uint32_t)(p * 4294967296.0);
    at::parallel_for(0, mask.numel(), 1 << 14, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; i++) {
            uint64_t z = seed + (uint64_t)i * 0x9E3779B97F4A7C15ull; // SplitMix64 of (seed, index)
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
            z ^= z >> 31;
            m[i] = (uint32_t)(z >> 32) >= threshold ? scale : 0.0f;
        }
    });
    return x * mask;
}

// The output projection (tied to wte) and the mean cross-entropy over targets != -1, fused:
// the logits buffer becomes the softmax in place and then the gradient of the logits, so
// one (N, V) buffer serves forward and backward instead of four. The mean divides by
// `denominator` when it is positive (a data-parallel rank's share of a global batch is
// divided by the global batch's count), else by the count of targets != -1.
struct LMHeadLoss : public torch::autograd::Function<LMHeadLoss> {
    // x: (N, C), wte: (V, C), targets: (N) int64 -> scalar loss
    static torch::Tensor forward(torch::autograd::AutogradContext *ctx, torch::Tensor x, torch::Tensor wte,
                                 torch::Tensor targets, double denominator) {
        auto valid = targets.ne(-1);                                          // (N)
        auto safe = targets.clamp_min(0);                                     // (N)
        auto count = denominator > 0 ? torch::full({}, denominator, x.options())
                                     : valid.sum().clamp_min(1).to(x.scalar_type()); // ()
        auto logits = torch::mm(x, wte.t());                                  // (N, V)
        auto lse = torch::logsumexp(logits, 1, true);                         // (N, 1)
        auto picked = logits.gather(1, safe.unsqueeze(1));                    // (N, 1)
        auto loss = ((lse - picked).squeeze(1) * valid).sum() / count;       // ()
        logits.sub_(lse).exp_();                                              // (N, V) softmax
        ctx->save_for_backward({x, wte, logits, safe, valid, count});
        return loss;
    }

    static torch::autograd::tensor_list backward(torch::autograd::AutogradContext *ctx,
                                                 torch::autograd::tensor_list grads) {
        auto saved = ctx->get_saved_variables();
        auto x = saved[0], wte = saved[1], probs = saved[2], safe = saved[3], valid = saved[4], count = saved[5];
        // d loss / d logits = (softmax - onehot) × valid × grad / count, in place.
        probs.scatter_add_(1, safe.unsqueeze(1), torch::full({probs.size(0), 1}, -1.0, probs.options()));
        probs.mul_((valid.to(probs.scalar_type()) * (grads[0] / count)).unsqueeze(1));
        auto dx = torch::mm(probs, wte);                                      // (N, C)
        auto dw = torch::mm(probs.t(), x);                                    // (V, C)
        return {dx, dw, torch::Tensor(), torch::Tensor()};
    }
};

// (B, T) int64 token ids -> (B, T, C) final hidden states.
torch::Tensor hidden_states(ct_model &m, const torch::Tensor &idx) {
    const auto &c = m.config;
    const int64_t B = idx.size(0), T = idx.size(1), C = c.n_embd, H = c.n_head, D = C / H;
    const double scale = 1.0 / std::sqrt((double)D);
    auto pos = torch::arange(T, torch::TensorOptions().dtype(torch::kLong).device(m.device));
    auto x = torch::embedding(m.wte, idx) + torch::embedding(m.wpe, pos); // (B, T, C)
    if (m.training && c.embd_pdrop > 0) x = dropout(m, x, c.embd_pdrop);
    x = x.view({B * T, C});                                                 // (BT, C)
    auto mask = m.causal_mask.narrow(0, 0, T).narrow(1, 0, T);              // (T, T)
    for (auto &b : m.blocks) {
        auto h = torch::layer_norm(x, {C}, b.ln_1_w, b.ln_1_b, c.layer_norm_epsilon);
        auto qkv = torch::addmm(b.c_attn_b, h, b.c_attn_w)                   // (BT, 3C)
                       .view({B, T, 3, H, D}).permute({2, 0, 3, 1, 4}).contiguous(); // (3, B, H, T, D)
        auto q = qkv[0].view({B * H, T, D}), k = qkv[1].view({B * H, T, D}), v = qkv[2].view({B * H, T, D});
        auto att = torch::baddbmm(mask, q, k.transpose(1, 2), 1.0, scale);  // (BH, T, T)
        att = torch::softmax(att, -1);
        if (m.training && c.attn_pdrop > 0) att = dropout(m, att, c.attn_pdrop);
        auto y = torch::bmm(att, v)                                          // (BH, T, D)
                     .view({B, H, T, D}).permute({0, 2, 1, 3}).reshape({B * T, C}); // (BT, C)
        y = torch::addmm(b.attn_proj_b, y, b.attn_proj_w);
        if (m.training && c.resid_pdrop > 0) y = dropout(m, y, c.resid_pdrop);
        x = x + y;
        h = torch::layer_norm(x, {C}, b.ln_2_w, b.ln_2_b, c.layer_norm_epsilon);
        h = torch::gelu(torch::addmm(b.c_fc_b, h, b.c_fc_w), "tanh");        // (BT, 4C)
        h = torch::addmm(b.mlp_proj_b, h, b.mlp_proj_w);                    // (BT, C)
        if (m.training && c.resid_pdrop > 0) h = dropout(m, h, c.resid_pdrop);
        x = x + h;
    }
    x = torch::layer_norm(x, {C}, m.ln_f_w, m.ln_f_b, c.layer_norm_epsilon);
    return x; // (BT, C)
}

// (BT, C) -> (BT, V): the output projection tied to wte.
torch::Tensor lm_head(ct_model &m, const torch::Tensor &x) { return torch::mm(x, m.wte.t()); }

torch::Tensor tokens_tensor(ct_model &m, const int64_t *data, std::vector<int64_t> shape) {
    auto cpu = torch::from_blob(const_cast<int64_t *>(data), shape, torch::kLong);
    return m.device.is_cpu() ? cpu.clone() : cpu.to(m.device);
}

void check_tokens(const ct_model &m, const int64_t *tokens, int64_t count, bool allow_ignore) {
    const int64_t V = m.config.vocab_size;
    for (int64_t i = 0; i < count; i++) {
        int64_t t = tokens[i];
        if (allow_ignore && t == -1) continue;
        if (t < 0 || t >= V)
            throw std::invalid_argument("token id " + std::to_string(t) + " at index " + std::to_string(i) +
                                        " is outside the vocabulary [0, " + std::to_string(V) + ")");
    }
}

void check_shape(const ct_model &m, int64_t batch, int64_t time) {
    require(batch > 0, "batch must be positive, got " + std::to_string(batch));
    require(time > 0, "time must be positive, got " + std::to_string(time));
    require(time <= m.config.n_positions, "sequence of " + std::to_string(time) + " tokens is longer than n_positions " +
                                              std::to_string(m.config.n_positions));
}

torch::Tensor flat_cpu_view(float *data, int64_t numel) { return torch::from_blob(data, {numel}, torch::kFloat32); }

// Zeroes the gradients, then for each of `micro_batches` micro-batches of batch × time
// tokens: forward, cross-entropy over targets != -1 (divided by denominators[i], or by
// their count when null), backward of loss / micro_batches. Returns the mean of the
// micro-batch losses.
double backward(ct_model &model, const int64_t *tokens, const int64_t *targets, int64_t micro_batches, int64_t batch,
                int64_t time, const double *denominators) {
    require(micro_batches > 0, "micro_batches must be positive, got " + std::to_string(micro_batches));
    check_shape(model, batch, time);
    const int64_t per = batch * time;
    check_tokens(model, tokens, micro_batches * per, false);
    check_tokens(model, targets, micro_batches * per, true);
    model.flat_grad.zero_();
    double loss_total = 0;
    for (int64_t i = 0; i < micro_batches; i++) {
        bool any_target = false;
        for (int64_t j = 0; j < per && !any_target; j++) any_target = targets[i * per + j] != -1;
        if (!any_target) continue; // all padding: nothing to learn from this micro-batch
        auto idx = tokens_tensor(model, tokens + i * per, {batch, time});
        auto tgt = tokens_tensor(model, targets + i * per, {per});
        auto loss = LMHeadLoss::apply(hidden_states(model, idx), model.wte, tgt, denominators ? denominators[i] : 0.0);
        (loss / (double)micro_batches).backward();
        loss_total += loss.item<double>();
    }
    return loss_total / (double)micro_batches;
}

// The gradient norm, clipping at max_grad_norm (<= 0: none) and AdamW at `lr`, on the whole
// flat buffers at once. A non-finite `loss` or norm leaves everything unchanged. Returns
// the norm before clipping.
double adamw_update(ct_optim &optim, double loss, double lr, double max_grad_norm) {
    ct_model &model = *optim.model;
    torch::NoGradGuard no_grad;
    double norm = model.flat_grad.norm().item<double>();
    if (!std::isfinite(loss) || !std::isfinite(norm)) return norm; // the caller stops the run
    if (max_grad_norm > 0 && norm > max_grad_norm) model.flat_grad.mul_(max_grad_norm / (norm + 1e-6));
    // AdamW (decoupled weight decay).
    optim.steps += 1;
    const double b1 = optim.beta1, b2 = optim.beta2;
    const double bc1 = 1.0 - std::pow(b1, (double)optim.steps);
    const double bc2 = 1.0 - std::pow(b2, (double)optim.steps);
    auto &g = model.flat_grad;
    if (optim.weight_decay > 0 && model.decay_numel > 0)
        model.flat.narrow(0, 0, model.decay_numel).mul_(1.0 - lr * optim.weight_decay);
    optim.exp_avg.mul_(b1).add_(g, 1.0 - b1);
    optim.exp_avg_sq.mul_(b2).addcmul_(g, g, 1.0 - b2);
    auto denom = (optim.exp_avg_sq.sqrt() / std::sqrt(bc2)).add_(optim.eps);
    model.flat.addcdiv_(optim.exp_avg, denom, -lr / bc1);
    return norm;
}

} // namespace

extern "C" {

const char *ct_last_error(void) { return ctorch::last_error.c_str(); }

// The calling thread's count only. libtorch 1.13 runs its parallel loops on OpenMP, whose
// thread count is per calling thread; torch::set_num_threads would also change the default
// every other thread takes at its first parallel loop. Each copy of libtorch's lazy
// per-thread initialisation (libtorch's own, reached through at::get_num_threads, and this
// library's inline one) runs first, so neither resets the count later.
ct_status ct_set_num_threads(int32_t threads) {
    return guarded("ct_set_num_threads", [&] {
        require(threads > 0, "threads must be positive");
        (void)at::get_num_threads();
        at::internal::lazy_init_num_threads();
        omp_set_num_threads(threads);
    });
}

int32_t ct_get_num_threads(void) { return (int32_t)torch::get_num_threads(); }

int32_t ct_cuda_is_available(void) {
    try { return torch::cuda::is_available() ? 1 : 0; } catch (...) { return 0; }
}

int32_t ct_cuda_device_count(void) {
    try { return (int32_t)torch::cuda::device_count(); } catch (...) { return 0; }
}

const char *ct_torch_version(void) { return TORCH_VERSION; }

ct_status ct_model_new(const ct_gpt_config *config, ct_device device, uint64_t seed, ct_model **out) {
    return guarded("ct_model_new", [&] {
        require(config && out, "null argument");
        const auto &c = *config;
        require(c.vocab_size > 0 && c.n_positions > 0 && c.n_embd > 0 && c.n_layer > 0 && c.n_head > 0,
                "vocab_size, n_positions, n_embd, n_layer and n_head must be positive");
        require(c.n_embd % c.n_head == 0, "n_embd " + std::to_string(c.n_embd) + " is not a multiple of n_head " +
                                              std::to_string(c.n_head));
        auto m = std::make_unique<ct_model>();
        m->config = c;
        if (device == CT_DEVICE_CUDA) {
            require(torch::cuda::is_available(), "CUDA was asked for but this libtorch build has no CUDA device");
            m->device = torch::Device(torch::kCUDA, 0);
        }
        m->generator = at::make_generator<at::CPUGeneratorImpl>(seed);
        build_parameters(*m);
        *out = m.release();
    });
}

void ct_model_free(ct_model *model) { delete model; }

ct_status ct_model_set_training(ct_model *model, int32_t training) {
    return guarded("ct_model_set_training", [&] { model->training = training != 0; });
}

ct_status ct_model_set_dropout_seed(ct_model *model, uint64_t seed) {
    return guarded("ct_model_set_dropout_seed", [&] {
        std::lock_guard<std::mutex> lock(model->generator.mutex());
        model->generator.set_current_seed(seed);
        if (!model->device.is_cpu()) torch::cuda::manual_seed(seed);
    });
}

int64_t ct_model_parameter_count(const ct_model *model) { return (int64_t)model->params.size(); }

int64_t ct_model_parameter_numel_total(const ct_model *model) { return model->flat.numel(); }

ct_status ct_model_parameter_info(const ct_model *model, int64_t index, char *name, size_t name_capacity,
                                  int32_t *rank, int64_t *shape4) {
    return guarded("ct_model_parameter_info", [&] {
        require(index >= 0 && index < (int64_t)model->params.size(), "parameter index out of range");
        const auto &p = model->params[index];
        if (name && name_capacity > 0) {
            std::strncpy(name, p.name.c_str(), name_capacity - 1);
            name[name_capacity - 1] = 0;
        }
        *rank = (int32_t)p.value.dim();
        for (int i = 0; i < 4; i++) shape4[i] = i < p.value.dim() ? p.value.size(i) : 0;
    });
}

ct_status ct_model_parameter_read(const ct_model *model, int64_t index, float *dst, int64_t numel) {
    return guarded("ct_model_parameter_read", [&] {
        require(index >= 0 && index < (int64_t)model->params.size(), "parameter index out of range");
        const auto &p = model->params[index];
        require(p.value.numel() == numel, p.name + " has " + std::to_string(p.value.numel()) + " values, not " +
                                              std::to_string(numel));
        torch::NoGradGuard no_grad;
        flat_cpu_view(dst, numel).copy_(p.value.detach().reshape({numel}));
    });
}

ct_status ct_model_parameter_write(ct_model *model, int64_t index, const float *src, int64_t numel) {
    return guarded("ct_model_parameter_write", [&] {
        require(index >= 0 && index < (int64_t)model->params.size(), "parameter index out of range");
        auto &p = model->params[index];
        require(p.value.numel() == numel, p.name + " has " + std::to_string(p.value.numel()) + " values, not " +
                                              std::to_string(numel));
        torch::NoGradGuard no_grad;
        model->flat.narrow(0, p.offset, numel).copy_(flat_cpu_view(const_cast<float *>(src), numel));
    });
}

ct_status ct_model_logits(ct_model *model, const int64_t *tokens, int64_t batch, int64_t time, float *out_logits) {
    return guarded("ct_model_logits", [&] {
        check_shape(*model, batch, time);
        check_tokens(*model, tokens, batch * time, false);
        torch::NoGradGuard no_grad;
        auto idx = tokens_tensor(*model, tokens, {batch, time});
        auto logits = lm_head(*model, hidden_states(*model, idx)); // (BT, V)
        flat_cpu_view(out_logits, logits.numel()).copy_(logits.reshape({-1}));
    });
}

ct_status ct_model_loss(ct_model *model, const int64_t *tokens, const int64_t *targets, int64_t batch,
                        int64_t time, double *loss_sum, int64_t *count) {
    return guarded("ct_model_loss", [&] {
        check_shape(*model, batch, time);
        check_tokens(*model, tokens, batch * time, false);
        check_tokens(*model, targets, batch * time, true);
        torch::NoGradGuard no_grad;
        auto idx = tokens_tensor(*model, tokens, {batch, time});
        auto tgt = tokens_tensor(*model, targets, {batch * time});
        auto logits = lm_head(*model, hidden_states(*model, idx)); // (BT, V)
        auto loss = torch::nn::functional::cross_entropy(
            logits, tgt, torch::nn::functional::CrossEntropyFuncOptions().ignore_index(-1).reduction(torch::kSum));
        *loss_sum = loss.item<double>();
        *count = tgt.ne(-1).sum().item<int64_t>();
    });
}

ct_status ct_optim_new(ct_model *model, double beta1, double beta2, double eps, double weight_decay,
                       ct_optim **out) {
    return guarded("ct_optim_new", [&] {
        require(model && out, "null argument");
        auto o = std::make_unique<ct_optim>();
        o->model = model;
        o->beta1 = beta1;
        o->beta2 = beta2;
        o->eps = eps;
        o->weight_decay = weight_decay;
        o->exp_avg = torch::zeros_like(model->flat);
        o->exp_avg_sq = torch::zeros_like(model->flat);
        *out = o.release();
    });
}

void ct_optim_free(ct_optim *optim) { delete optim; }

int64_t ct_optim_step_count(const ct_optim *optim) { return optim->steps; }

ct_status ct_optim_state_read(const ct_optim *optim, int32_t which, float *dst, int64_t numel) {
    return guarded("ct_optim_state_read", [&] {
        require(which == 0 || which == 1, "which must be 0 (exp_avg) or 1 (exp_avg_sq)");
        const auto &t = which == 0 ? optim->exp_avg : optim->exp_avg_sq;
        require(t.numel() == numel, "optimizer state has " + std::to_string(t.numel()) + " values, not " +
                                        std::to_string(numel));
        flat_cpu_view(dst, numel).copy_(t);
    });
}

ct_status ct_optim_state_write(ct_optim *optim, int32_t which, const float *src, int64_t numel, int64_t step_count) {
    return guarded("ct_optim_state_write", [&] {
        require(which == 0 || which == 1, "which must be 0 (exp_avg) or 1 (exp_avg_sq)");
        auto &t = which == 0 ? optim->exp_avg : optim->exp_avg_sq;
        require(t.numel() == numel, "optimizer state has " + std::to_string(t.numel()) + " values, not " +
                                        std::to_string(numel));
        require(step_count >= 0, "step count must not be negative");
        t.copy_(flat_cpu_view(const_cast<float *>(src), numel));
        optim->steps = step_count;
    });
}

ct_status ct_train_step(ct_model *model, ct_optim *optim, const int64_t *tokens, const int64_t *targets,
                        int64_t micro_batches, int64_t batch, int64_t time, double lr, double max_grad_norm,
                        double *out_loss, double *out_grad_norm) {
    return guarded("ct_train_step", [&] {
        require(optim->model == model, "the optimizer belongs to another model");
        *out_loss = backward(*model, tokens, targets, micro_batches, batch, time, nullptr);
        *out_grad_norm = adamw_update(*optim, *out_loss, lr, max_grad_norm);
    });
}

ct_status ct_train_backward(ct_model *model, const int64_t *tokens, const int64_t *targets, int64_t micro_batches,
                            int64_t batch, int64_t time, const double *denominators, double *out_loss) {
    return guarded("ct_train_backward", [&] {
        require(denominators != nullptr, "denominators must not be null");
        for (int64_t i = 0; i < micro_batches; i++)
            require(denominators[i] > 0, "denominator " + std::to_string(i) + " must be positive");
        *out_loss = backward(*model, tokens, targets, micro_batches, batch, time, denominators);
    });
}

ct_status ct_optim_apply(ct_optim *optim, double loss, double lr, double max_grad_norm, double *out_grad_norm) {
    return guarded("ct_optim_apply", [&] { *out_grad_norm = adamw_update(*optim, loss, lr, max_grad_norm); });
}

} // extern "C"
