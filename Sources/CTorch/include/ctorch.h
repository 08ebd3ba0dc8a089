// A plain C API over libtorch for BlockLab's GPT-2 (the tch-rs torch_api.h style).
//
// Opaque handles, one prefix per family (ct_model_*, ct_optim_*), a *_free for every
// constructor, only plain C types across the boundary. Every function that can fail returns
// a ct_status; on failure the message is kept per thread and read with ct_last_error().
// No C++ exception ever crosses this header.
//
// The functions are listed once, in ctorch_functions.def, and declared here from that list.
// Swift links the `CTorch` target, whose ctorch_loader.c defines each of them as a call into
// libBlockLabTorch.so (the `CTorchLibrary` target: ctorch.cpp on libtorch), opened on first
// use: a command that never touches a model never loads libtorch (~1 s of start-up).
//
// Data-parallel training (ct_dist_*) uses libtorch's own c10d: a TCPStore for the rendezvous
// and ProcessGroupGloo for the collectives, on CPU tensors.
//
// Deliberately left out: general tensor operations. The whole training step (forward, masked
// loss, backward, clipping, AdamW) is one call, so the Swift side stays thin and fast.
#ifndef CTORCH_H
#define CTORCH_H

#include <stdint.h>
#include <stddef.h>

#include "ctorch_encoder.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ct_status {
    CT_OK = 0,
    CT_ERROR = 1,            // any other libtorch error (message says which)
    CT_OUT_OF_MEMORY = 2,    // an allocation failed (CPU or GPU)
    CT_INVALID_ARGUMENT = 3, // a shape, size or index the caller got wrong
    CT_ADDRESS_IN_USE = 4,   // a process group's master port is taken on this machine
    CT_UNREACHABLE = 5,      // the master cannot be reached, or not every rank joined in time
    CT_PEER_LOST = 6,        // a collective failed: another rank died, hung past the timeout, or left
} ct_status;

typedef enum ct_device {
    CT_DEVICE_CPU = 0,
    CT_DEVICE_CUDA = 1,
} ct_device;

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

typedef struct ct_optim ct_optim;

/// A process group (torch.distributed's c10d): a TCPStore and Gloo over TCP.
typedef struct ct_dist ct_dist;

/// The message of the last failed call on this thread ("" if none). Before the library is
/// loaded, or when it cannot be, the reason it could not be loaded.
const char *ct_last_error(void);

/// Loads libBlockLabTorch.so (and with it libtorch) now, if not yet loaded: from
/// $BLOCKLAB_TORCH_LIBRARY, else beside the running executable. Every other function loads it
/// on first use; this one lets a command report a missing libtorch before it starts work.
/// CT_OK, or CT_ERROR with ct_last_error() saying what is missing and how to install it.
ct_status ct_library_load(void);
/// The path the library is (or would be) loaded from.
const char *ct_library_path(void);

#define CT_FUNCTION(name, params, args) ct_status name params;
#define CT_QUERY(type, name, params, args) type name params;
#define CT_PROCEDURE(name, params, args) void name params;
#include "ctorch_functions.def"
#undef CT_FUNCTION
#undef CT_QUERY
#undef CT_PROCEDURE

#ifdef __cplusplus
}
#endif

#endif
