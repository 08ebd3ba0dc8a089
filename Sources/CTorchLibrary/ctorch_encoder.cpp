// The ct_encoder_* functions of the C API (types in ctorch_encoder.h): Hugging Face's BertModel forward pass (post-LayerNorm
// blocks, absolute positions, token type 0) and sentence-transformers' pooling, on libtorch.
//
// The query, key and value projections of a layer live in one (3C, C) weight and one (3C)
// bias, each named parameter a view into them, so a layer's attention input is one matrix
// product. Shapes: B batch, T time, C hidden_size, H heads, D = C / H, I intermediate_size.

#include "ctorch.h"
#include "ctorch_errors.hpp"

#include <torch/torch.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

using ctorch::guarded;
using ctorch::require;

namespace {

struct EncoderLayer {
    torch::Tensor qkv_w, qkv_b;           // (3C, C), (3C): query, key, value stacked
    torch::Tensor attn_out_w, attn_out_b; // (C, C), (C)
    torch::Tensor attn_ln_w, attn_ln_b;   // (C)
    torch::Tensor inter_w, inter_b;       // (I, C), (I)
    torch::Tensor out_w, out_b;           // (C, I), (C)
    torch::Tensor out_ln_w, out_ln_b;     // (C)
};

struct NamedParameter {
    std::string name;
    torch::Tensor value;
};

} // namespace

struct ct_encoder {
    ct_bert_config config;
    torch::Tensor word, position, token_type; // (V, C), (P, C), (types, C)
    torch::Tensor emb_ln_w, emb_ln_b;         // (C)
    std::vector<EncoderLayer> layers;
    std::vector<NamedParameter> params;       // Hugging Face's names, in declaration order
};

namespace {

torch::Tensor zeros(std::vector<int64_t> shape) { return torch::zeros(shape, torch::kFloat32); }

void build_parameters(ct_encoder &e) {
    const auto &c = e.config;
    const int64_t C = c.hidden_size, I = c.intermediate_size;
    auto add = [&](const std::string &name, torch::Tensor t) { e.params.push_back({name, t}); };
    e.word = zeros({c.vocab_size, C});
    e.position = zeros({c.max_position_embeddings, C});
    e.token_type = zeros({c.type_vocab_size, C});
    e.emb_ln_w = zeros({C});
    e.emb_ln_b = zeros({C});
    add("embeddings.word_embeddings.weight", e.word);
    add("embeddings.position_embeddings.weight", e.position);
    add("embeddings.token_type_embeddings.weight", e.token_type);
    add("embeddings.LayerNorm.weight", e.emb_ln_w);
    add("embeddings.LayerNorm.bias", e.emb_ln_b);
    e.layers.resize(c.num_hidden_layers);
    for (int64_t i = 0; i < c.num_hidden_layers; i++) {
        auto &l = e.layers[i];
        auto p = "encoder.layer." + std::to_string(i) + ".";
        l.qkv_w = zeros({3 * C, C});
        l.qkv_b = zeros({3 * C});
        const char *parts[] = {"query", "key", "value"};
        for (int j = 0; j < 3; j++) {
            add(p + "attention.self." + parts[j] + ".weight", l.qkv_w.narrow(0, j * C, C));
            add(p + "attention.self." + parts[j] + ".bias", l.qkv_b.narrow(0, j * C, C));
        }
        l.attn_out_w = zeros({C, C});
        l.attn_out_b = zeros({C});
        l.attn_ln_w = zeros({C});
        l.attn_ln_b = zeros({C});
        l.inter_w = zeros({I, C});
        l.inter_b = zeros({I});
        l.out_w = zeros({C, I});
        l.out_b = zeros({C});
        l.out_ln_w = zeros({C});
        l.out_ln_b = zeros({C});
        add(p + "attention.output.dense.weight", l.attn_out_w);
        add(p + "attention.output.dense.bias", l.attn_out_b);
        add(p + "attention.output.LayerNorm.weight", l.attn_ln_w);
        add(p + "attention.output.LayerNorm.bias", l.attn_ln_b);
        add(p + "intermediate.dense.weight", l.inter_w);
        add(p + "intermediate.dense.bias", l.inter_b);
        add(p + "output.dense.weight", l.out_w);
        add(p + "output.dense.bias", l.out_b);
        add(p + "output.LayerNorm.weight", l.out_ln_w);
        add(p + "output.LayerNorm.bias", l.out_ln_b);
    }
}

torch::Tensor activation(const torch::Tensor &x, ct_activation kind) {
    switch (kind) {
    case CT_ACTIVATION_GELU_TANH: return torch::gelu(x, "tanh");
    case CT_ACTIVATION_RELU: return torch::relu(x);
    default: return torch::gelu(x);
    }
}

// (B, T) ids and lengths -> (B, T, C) last hidden states. `padded`: whether any sequence is
// shorter than T (when none is, the attention mask is all zeros and is skipped).
torch::Tensor forward(ct_encoder &e, const torch::Tensor &ids, const torch::Tensor &valid, bool padded) {
    const auto &c = e.config;
    const int64_t B = ids.size(0), T = ids.size(1), C = c.hidden_size, H = c.num_attention_heads, D = C / H;
    const double eps = c.layer_norm_eps;
    auto x = torch::embedding(e.word, ids) + e.position.narrow(0, 0, T) + e.token_type[0]; // (B, T, C)
    x = torch::layer_norm(x, {C}, e.emb_ln_w, e.emb_ln_b, eps).view({B * T, C});          // (BT, C)
    // Padding keys get the most negative float added before the softmax, as BertModel does.
    torch::Tensor mask;
    if (padded) {
        mask = (1.0 - valid.to(torch::kFloat32)).mul_(std::numeric_limits<float>::lowest()).view({B, 1, 1, T});
    }
    const double scale = 1.0 / std::sqrt((double)D);
    for (auto &l : e.layers) {
        auto qkv = torch::addmm(l.qkv_b, x, l.qkv_w.t());                                  // (BT, 3C)
        // The queries scaled before the product rather than the (B, H, T, T) scores after it:
        // the same values (up to rounding) from T / (3 D) times fewer multiplications.
        qkv.narrow(1, 0, C).mul_(scale);
        auto heads = qkv.view({B, T, 3, H, D}).permute({2, 0, 3, 1, 4});                   // (3, B, H, T, D)
        auto scores = torch::matmul(heads[0], heads[1].transpose(-1, -2));                 // (B, H, T, T)
        if (padded) scores.add_(mask);
        auto context = torch::matmul(torch::softmax(scores, -1), heads[2])                // (B, H, T, D)
                           .permute({0, 2, 1, 3}).reshape({B * T, C});                     // (BT, C)
        auto attended = torch::addmm(l.attn_out_b, context, l.attn_out_w.t());
        x = torch::layer_norm(attended.add_(x), {C}, l.attn_ln_w, l.attn_ln_b, eps);
        auto h = activation(torch::addmm(l.inter_b, x, l.inter_w.t()), c.hidden_act);      // (BT, I)
        h = torch::addmm(l.out_b, h, l.out_w.t());                                          // (BT, C)
        x = torch::layer_norm(h.add_(x), {C}, l.out_ln_w, l.out_ln_b, eps);
    }
    return x.view({B, T, C});
}

} // namespace

extern "C" {

ct_status ct_encoder_new(const ct_bert_config *config, ct_encoder **out) {
    return guarded("ct_encoder_new", [&] {
        require(config && out, "null argument");
        const auto &c = *config;
        require(c.vocab_size > 0 && c.hidden_size > 0 && c.num_hidden_layers > 0 && c.num_attention_heads > 0 &&
                    c.intermediate_size > 0 && c.max_position_embeddings > 0 && c.type_vocab_size > 0,
                "every size in the BERT config must be positive");
        require(c.hidden_size % c.num_attention_heads == 0,
                "hidden_size " + std::to_string(c.hidden_size) + " is not a multiple of num_attention_heads " +
                    std::to_string(c.num_attention_heads));
        require(c.hidden_act >= CT_ACTIVATION_GELU && c.hidden_act <= CT_ACTIVATION_RELU, "unknown activation");
        auto e = std::make_unique<ct_encoder>();
        e->config = c;
        build_parameters(*e);
        *out = e.release();
    });
}

void ct_encoder_free(ct_encoder *encoder) { delete encoder; }

int64_t ct_encoder_parameter_count(const ct_encoder *encoder) { return (int64_t)encoder->params.size(); }

ct_status ct_encoder_parameter_info(const ct_encoder *encoder, int64_t index, char *name, size_t name_capacity,
                                    int32_t *rank, int64_t *shape4) {
    return guarded("ct_encoder_parameter_info", [&] {
        require(index >= 0 && index < (int64_t)encoder->params.size(), "parameter index out of range");
        const auto &p = encoder->params[index];
        if (name && name_capacity > 0) {
            std::strncpy(name, p.name.c_str(), name_capacity - 1);
            name[name_capacity - 1] = 0;
        }
        *rank = (int32_t)p.value.dim();
        for (int i = 0; i < 4; i++) shape4[i] = i < p.value.dim() ? p.value.size(i) : 0;
    });
}

ct_status ct_encoder_parameter_write(ct_encoder *encoder, int64_t index, const float *src, int64_t numel) {
    return guarded("ct_encoder_parameter_write", [&] {
        require(index >= 0 && index < (int64_t)encoder->params.size(), "parameter index out of range");
        auto &p = encoder->params[index];
        require(p.value.numel() == numel, p.name + " has " + std::to_string(p.value.numel()) + " values, not " +
                                              std::to_string(numel));
        auto source = torch::from_blob(const_cast<float *>(src), p.value.sizes(), torch::kFloat32);
        p.value.copy_(source);
    });
}

ct_status ct_encoder_embed(ct_encoder *encoder, const int64_t *tokens, const int64_t *lengths, int64_t batch,
                           int64_t time, ct_pooling pooling, int32_t normalize, float *out) {
    return guarded("ct_encoder_embed", [&] {
        const auto &c = encoder->config;
        require(batch > 0 && time > 0, "batch and time must be positive");
        require(time <= c.max_position_embeddings, "sequences of " + std::to_string(time) +
                                                       " tokens are longer than max_position_embeddings " +
                                                       std::to_string(c.max_position_embeddings));
        require(pooling == CT_POOLING_MEAN || pooling == CT_POOLING_CLS, "unknown pooling");
        bool padded = false;
        for (int64_t b = 0; b < batch; b++) {
            padded = padded || lengths[b] < time;
            require(lengths[b] >= 1 && lengths[b] <= time, "length " + std::to_string(lengths[b]) + " of sequence " +
                                                               std::to_string(b) + " is outside [1, " +
                                                               std::to_string(time) + "]");
            for (int64_t t = 0; t < lengths[b]; t++) {
                int64_t id = tokens[b * time + t];
                require(id >= 0 && id < c.vocab_size, "token id " + std::to_string(id) + " is outside the vocabulary [0, " +
                                                          std::to_string(c.vocab_size) + ")");
            }
        }
        c10::InferenceMode inference;
        auto positions = torch::arange(time, torch::kLong).view({1, time});                 // (1, T)
        auto length = torch::from_blob(const_cast<int64_t *>(lengths), {batch, 1}, torch::kLong); // (B, 1)
        auto valid = positions.lt(length);                                                  // (B, T)
        // Padding ids may be anything; they are replaced by 0 so the lookup stays in range.
        auto ids = torch::from_blob(const_cast<int64_t *>(tokens), {batch, time}, torch::kLong).masked_fill(~valid, 0);
        auto states = forward(*encoder, ids, valid, padded);                                         // (B, T, C)
        torch::Tensor pooled;                                                                // (B, C)
        if (pooling == CT_POOLING_CLS) {
            pooled = states.select(1, 0);
        } else {
            auto weights = valid.to(torch::kFloat32).unsqueeze(-1);                          // (B, T, 1)
            pooled = (states * weights).sum(1) / weights.sum(1).clamp_min(1e-9);
        }
        if (normalize) pooled = torch::nn::functional::normalize(pooled, torch::nn::functional::NormalizeFuncOptions().p(2).dim(1).eps(1e-12));
        torch::from_blob(out, {batch, c.hidden_size}, torch::kFloat32).copy_(pooled);
    });
}

} // extern "C"
