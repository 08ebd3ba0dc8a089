"""The PyTorch DDP peer of `blocklab bench train --nproc N`, started by torchrun (Debian's
python3-torch, torch 1.13: the same libtorch and BLAS as BlockLab).

The model and step are those of `blocklab bench train`'s single-process peer: GPT-2 in
Hugging Face's layout (pre-LayerNorm, fused QKV, causal softmax attention, tanh GELU, tied
embeddings, GPT-2's initialisation), AdamW with weight decay on matrices, clipping at 1.0.
Here it is wrapped in DistributedDataParallel over a Gloo process group (env://, as torchrun
sets it up), one thread per rank; each rank trains on its batch/N slice of the same global
batch of random tokens. Each rank writes OUT/rank-R.json: its timed step times, CPU times
and peak RSS (getrusage).

Usage (by blocklab): torchrun --nproc_per_node N ... train_ddp_peer.py CONFIG_JSON OUT
"""
import json
import math
import os
import resource
import sys
import time

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel

cfg = json.loads(sys.argv[1])
out = sys.argv[2]
torch.set_num_threads(cfg["threads"])
dist.init_process_group("gloo")
rank, world = dist.get_rank(), dist.get_world_size()
torch.manual_seed(42)
V, T, C, L, H = cfg["vocab"], cfg["time"], cfg["n_embd"], cfg["n_layer"], cfg["n_head"]
B = cfg["batch"] // world  # per rank; the global batch is cfg["batch"]
drop = cfg["dropout"]


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln_1 = nn.LayerNorm(C, eps=1e-5)
        self.c_attn = nn.Linear(C, 3 * C)
        self.c_proj = nn.Linear(C, C)
        self.ln_2 = nn.LayerNorm(C, eps=1e-5)
        self.c_fc = nn.Linear(C, 4 * C)
        self.mlp_proj = nn.Linear(4 * C, C)
        self.drop = nn.Dropout(drop)
        # A plain attribute, not a buffer: DDP broadcasts buffers, and Gloo has no bool type.
        self.mask = torch.tril(torch.ones(T, T, dtype=torch.bool)).view(1, 1, T, T)

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(C, dim=2)
        q = q.view(b, t, H, c // H).transpose(1, 2)
        k = k.view(b, t, H, c // H).transpose(1, 2)
        v = v.view(b, t, H, c // H).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(c // H))
        att = att.masked_fill(~self.mask[:, :, :t, :t], float("-inf"))
        att = self.drop(F.softmax(att, dim=-1))
        y = (att @ v).transpose(1, 2).contiguous().view(b, t, c)
        x = x + self.drop(self.c_proj(y))
        x = x + self.drop(self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh")))
        return x


class GPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.wte = nn.Embedding(V, C)
        self.wpe = nn.Embedding(T, C)
        self.drop = nn.Dropout(drop)
        self.h = nn.ModuleList([Block() for _ in range(L)])
        self.ln_f = nn.LayerNorm(C, eps=1e-5)

    def forward(self, idx, targets):
        pos = torch.arange(idx.size(1))
        x = self.drop(self.wte(idx) + self.wpe(pos))
        for block in self.h:
            x = block(x)
        logits = F.linear(self.ln_f(x), self.wte.weight)
        return F.cross_entropy(logits.view(-1, V), targets.view(-1), ignore_index=-1)


model = GPT()
for name, p in model.named_parameters():
    if p.dim() >= 2:
        std = 0.02 / math.sqrt(2 * L) if name.endswith(("c_proj.weight", "mlp_proj.weight")) else 0.02
        torch.nn.init.normal_(p, 0.0, std)
    elif "ln" in name and name.endswith("weight"):
        torch.nn.init.ones_(p)
    else:
        torch.nn.init.zeros_(p)
model.train()
# DDP broadcasts rank 0's parameters at construction and all-reduces gradients in 25 MiB
# buckets during backward, overlapping the reduction with the rest of backward.
ddp = DistributedDataParallel(model, bucket_cap_mb=cfg.get("bucket_mb", 25))
decay = [p for p in model.parameters() if p.dim() >= 2]
no_decay = [p for p in model.parameters() if p.dim() < 2]
opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}], lr=3e-4)
g = torch.Generator().manual_seed(1)
data = torch.randint(0, V, (cfg["warmup"] + cfg["steps"], cfg["batch"], T + 1), generator=g)
# This rank's slice of each global batch, contiguous, as a distributed sampler would hand it over.
pairs = [(d[rank * B:(rank + 1) * B, :-1].contiguous(), d[rank * B:(rank + 1) * B, 1:].contiguous()) for d in data]
times, cpu_times = [], []
for i in range(cfg["warmup"] + cfg["steps"]):
    x, y = pairs[i]
    start, start_cpu = time.perf_counter(), time.process_time()
    opt.zero_grad(set_to_none=True)
    loss = ddp(x, y)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    loss_value = loss.item()
    if i >= cfg["warmup"]:
        times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - start_cpu)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
with open(os.path.join(out, f"rank-{rank}.json"), "w") as f:
    json.dump({"step_times": times, "step_cpu_times": cpu_times, "peak_rss_bytes": peak, "torch": torch.__version__,
               "threads": torch.get_num_threads(), "world_size": world, "last_loss": loss_value}, f)
dist.destroy_process_group()
