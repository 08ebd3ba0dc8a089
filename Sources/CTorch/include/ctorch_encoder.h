// The types of the C API's BERT-family sentence encoders (the ct_encoder_* functions, listed
// with all the others in ctorch_functions.def; ctorch.h includes this file).
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

#include <stdint.h>

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

#ifdef __cplusplus
}
#endif

#endif
