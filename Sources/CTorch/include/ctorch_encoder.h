// A plain C API over libtorch for BERT-family sentence encoders (the style of ctorch.h).
//
// Opaque handles, the ct_encoder_* prefix, a *_free for every constructor, only plain C types
// across the boundary. Failures return a ct_status; the message is read with ct_last_error().
// Parameters are named and laid out as Hugging Face's BertModel names them
// ("encoder.layer.0.attention.self.query.weight", Linear weights [out, in]).
//
// Deliberately left out: training, token type ids other than 0, relative position
// embeddings, the pooler layer. The whole forward pass and the pooling are one call.
#ifndef CTORCH_ENCODER_H
#define CTORCH_ENCODER_H

#include "ctorch.h"

#ifdef __cplusplus
extern "C" {
#endif

/// The feed-forward activation, as BertConfig.hidden_act names it.
typedef enum ct_activation {
    CT_ACTIVATION_GELU = 0,      // "gelu": the exact, erf-based GELU
    CT_ACTIVATION_GELU_TANH = 1, // "gelu_new", "gelu_pytorch_tanh": the tanh approximation
    CT_ACTIVATION_RELU = 2,      // "relu"
} ct_activation;

/// How token states become one sentence vector (sentence-transformers' Pooling).
typedef enum ct_pooling {
    CT_POOLING_MEAN = 0, // mean over the real (unpadded) tokens, [CLS] and [SEP] included
    CT_POOLING_CLS = 1,  // the first token's state
} ct_pooling;

/// BERT hyper-parameters, as Hugging Face's BertConfig names them.
typedef struct ct_bert_config {
    int64_t vocab_size;
    int64_t hidden_size;
    int64_t num_hidden_layers;
    int64_t num_attention_heads;
    int64_t intermediate_size;
    int64_t max_position_embeddings;
    int64_t type_vocab_size;
    double layer_norm_eps;
    ct_activation hidden_act;
} ct_bert_config;

typedef struct ct_encoder ct_encoder;

/// A BERT encoder on the CPU with every parameter 0 until written (inference only).
ct_status ct_encoder_new(const ct_bert_config *config, ct_encoder **out);
void ct_encoder_free(ct_encoder *encoder);

/// The parameters in a fixed order, with Hugging Face's names (no "bert." prefix).
int64_t ct_encoder_parameter_count(const ct_encoder *encoder);
/// Name (NUL-terminated, truncated to name_capacity), rank (<= 4) and shape of parameter `index`.
ct_status ct_encoder_parameter_info(const ct_encoder *encoder, int64_t index, char *name, size_t name_capacity,
                                    int32_t *rank, int64_t *shape4);
/// Overwrites parameter `index` from `src` (`numel` float32 values, row-major).
ct_status ct_encoder_parameter_write(ct_encoder *encoder, int64_t index, const float *src, int64_t numel);

/// One vector per sequence. tokens: batch × time ids, row-major; row i's first lengths[i]
/// ids are real (1 <= lengths[i] <= time), the rest padding (ignored: masked in attention
/// and pooling). time <= max_position_embeddings. out: batch × hidden_size floats, pooled as
/// `pooling` says and, when `normalize` is non-zero, scaled to unit L2 norm.
ct_status ct_encoder_embed(ct_encoder *encoder, const int64_t *tokens, const int64_t *lengths, int64_t batch,
                           int64_t time, ct_pooling pooling, int32_t normalize, float *out);

#ifdef __cplusplus
}
#endif

#endif
