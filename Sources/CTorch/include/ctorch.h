// A plain C API over libtorch for BlockLab's GPT-2 (the tch-rs torch_api.h style).
//
// Opaque handles, one prefix per family (ct_model_*, ct_optim_*), a *_free for every
// constructor, only plain C types across the boundary. Every function that can fail returns
// a ct_status; on failure the message is kept per thread and read with ct_last_error().
// No C++ exception ever crosses this header.
//
// Deliberately left out: general tensor operations. The whole training step (forward, masked
// loss, backward, clipping, AdamW) is one call, so the Swift side stays thin and fast.
#ifndef CTORCH_H
#define CTORCH_H

#include <stdint.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ct_status {
    CT_OK = 0,
    CT_ERROR = 1,            // any other libtorch error (message says which)
    CT_OUT_OF_MEMORY = 2,    // an allocation failed (CPU or GPU)
    CT_INVALID_ARGUMENT = 3, // a shape, size or index the caller got wrong
} ct_status;

typedef enum ct_device {
    CT_DEVICE_CPU = 0,
    CT_DEVICE_CUDA = 1,
} ct_device;

/// The message of the last failed call on this thread ("" if none).
const char *ct_last_error(void);

/// Sets libtorch's intra-op thread count (libtorch defaults to 1 on this build).
ct_status ct_set_num_threads(int32_t threads);
int32_t ct_get_num_threads(void);
/// 1 when this libtorch build has CUDA and a device is visible, else 0.
int32_t ct_cuda_is_available(void);
int32_t ct_cuda_device_count(void);
/// Seeds every libtorch generator (CPU and, when present, CUDA).
ct_status ct_manual_seed(uint64_t seed);
/// Makes CPU tensors come from a cache of freed blocks (>= 64 KiB, kept per size), so a
/// training loop stops paying page faults for the same sizes every step. At most
/// `cache_limit_bytes` stay cached (<= 0: no limit). Process-wide; tensors made before keep
/// their own deleter, so it may be called at any time.
ct_status ct_use_caching_allocator(int64_t cache_limit_bytes);
/// Returns every cached block to the system.
void ct_release_cached_memory(void);

/// GPT-2 hyper-parameters, as Hugging Face's GPT2Config names them.
typedef struct ct_gpt_config {
    int64_t vocab_size;
    int64_t n_positions;
    int64_t n_embd;
    int64_t n_layer;
    int64_t n_head;
    double embd_pdrop;
    double attn_pdrop;
    double resid_pdrop;
    double layer_norm_epsilon;
    double initializer_range;
} ct_gpt_config;

typedef struct ct_model ct_model;

/// A GPT-2 with GPT-2's initialisation (normal(0, initializer_range), residual projections
/// scaled by 1/sqrt(2 n_layer), LayerNorm 1/0, biases 0), drawn from the current seed.
ct_status ct_model_new(const ct_gpt_config *config, ct_device device, ct_model **out);
void ct_model_free(ct_model *model);
/// Training mode turns dropout on; evaluation mode (the default after ct_model_new) turns it off.
ct_status ct_model_set_training(ct_model *model, int32_t training);

/// The parameters, in a fixed order, named as Hugging Face's GPT2LMHeadModel names them
/// ("transformer.h.0.attn.c_attn.weight", ...) with its layouts (Conv1D weights [in, out]).
/// The output embedding is tied to "transformer.wte.weight" and has no entry of its own.
int64_t ct_model_parameter_count(const ct_model *model);
int64_t ct_model_parameter_numel_total(const ct_model *model);
/// Name (NUL-terminated, truncated to name_capacity), rank (<= 4) and shape of parameter `index`.
ct_status ct_model_parameter_info(const ct_model *model, int64_t index, char *name, size_t name_capacity,
                                  int32_t *rank, int64_t *shape4);
/// Copies parameter `index` (float32, row-major) into `dst` (`numel` floats).
ct_status ct_model_parameter_read(const ct_model *model, int64_t index, float *dst, int64_t numel);
/// Overwrites parameter `index` from `src` (`numel` floats).
ct_status ct_model_parameter_write(ct_model *model, int64_t index, const float *src, int64_t numel);

/// Logits for `tokens` (batch × time, row-major), no gradient, current mode.
/// out_logits: batch × time × vocab_size floats.
ct_status ct_model_logits(ct_model *model, const int64_t *tokens, int64_t batch, int64_t time,
                          float *out_logits);
/// Summed cross-entropy over targets != -1 and their count, no gradient: validation.
/// tokens and targets: batch × time.
ct_status ct_model_loss(ct_model *model, const int64_t *tokens, const int64_t *targets,
                        int64_t batch, int64_t time, double *loss_sum, int64_t *count);

typedef struct ct_optim ct_optim;

/// AdamW over all of `model`'s parameters; weight decay on matrices only (rank >= 2).
ct_status ct_optim_new(ct_model *model, double beta1, double beta2, double eps, double weight_decay,
                       ct_optim **out);
void ct_optim_free(ct_optim *optim);
/// Steps taken so far (AdamW's bias correction uses it).
int64_t ct_optim_step_count(const ct_optim *optim);
/// The moments as flat float32 vectors of ct_model_parameter_numel_total() values, in the
/// parameter order; which = 0: first moment (exp_avg), 1: second moment (exp_avg_sq).
ct_status ct_optim_state_read(const ct_optim *optim, int32_t which, float *dst, int64_t numel);
ct_status ct_optim_state_write(ct_optim *optim, int32_t which, const float *src, int64_t numel,
                               int64_t step_count);

/// One optimizer step over `micro_batches` micro-batches of batch × time tokens each
/// (gradient accumulation): for each, forward, cross-entropy over targets != -1, backward of
/// loss / micro_batches; then the gradient norm, clipping at max_grad_norm (<= 0: none) and
/// AdamW with learning rate `lr`. tokens and targets: micro_batches × batch × time.
/// out_loss: mean of the micro-batch losses; out_grad_norm: the norm before clipping.
/// A non-finite loss or norm skips the update (parameters unchanged) and is returned as is.
ct_status ct_train_step(ct_model *model, ct_optim *optim, const int64_t *tokens, const int64_t *targets,
                        int64_t micro_batches, int64_t batch, int64_t time, double lr,
                        double max_grad_norm, double *out_loss, double *out_grad_norm);

#ifdef __cplusplus
}
#endif

#endif
