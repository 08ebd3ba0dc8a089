"""The PyTorch peer of `blocklab bench train`: the same GPT-2 as BlockLab's trainer
(Hugging Face's layout and ops: pre-LayerNorm, fused QKV, causal softmax attention, tanh
GELU, tied embeddings), AdamW with decay on matrices, clipping at 1.0, on Debian's
python3-torch (the same libtorch and BLAS), all cores. The model and loop are gpt2_peer.py's.

    python3 train_pytorch.py CONFIG_JSON

CONFIG_JSON: {"vocab", "time", "n_embd", "n_layer", "n_head", "batch", "dropout", "threads",
"warmup", "steps"}. Prints one JSON line: per-step wall and CPU times of the timed steps,
peak RSS, the torch version and thread count, the last loss.
"""
import json, resource, statistics, sys
import torch
from gpt2_peer import GPT, adamw, timed_steps

cfg = json.loads(sys.argv[1])
torch.set_num_threads(cfg["threads"])
torch.manual_seed(42)
V, T, B = cfg["vocab"], cfg["time"], cfg["batch"]

model = GPT(cfg)
model.train()
opt = adamw(model)
g = torch.Generator().manual_seed(1)
data = torch.randint(0, V, (cfg["warmup"] + cfg["steps"], B, T + 1), generator=g)
# Contiguous inputs and targets, as a data loader would hand them over.
pairs = [(d[:, :-1].contiguous(), d[:, 1:].contiguous()) for d in data]
times, cpu_times, loss_value = timed_steps(model, model, opt, pairs, cfg["warmup"])
median = statistics.median(times)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"step_times": times, "step_cpu_times": cpu_times, "median_step_s": median, "tokens_per_s": B * T / median, "peak_rss_bytes": peak,
                  "torch": torch.__version__, "threads": torch.get_num_threads(), "last_loss": loss_value}))
