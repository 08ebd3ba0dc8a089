"""The PyTorch DDP peer of `blocklab bench train --nproc N`, started by torchrun (Debian's
python3-torch, torch 1.13: the same libtorch and BLAS as BlockLab).

The model and step are those of `blocklab bench train`'s single-process peer (gpt2_peer.py):
GPT-2 in Hugging Face's layout, AdamW with weight decay on matrices, clipping at 1.0.
Here it is wrapped in DistributedDataParallel over a Gloo process group (env://, as torchrun
sets it up), one thread per rank; each rank trains on its batch/N slice of the same global
batch of random tokens. Each rank writes OUT/rank-R.json: its timed step times, CPU times
and peak RSS (getrusage).

Usage (by blocklab): torchrun --nproc_per_node N ... train_ddp_peer.py CONFIG_JSON OUT
"""
import json
import os
import resource
import sys

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from gpt2_peer import GPT, adamw, timed_steps

cfg = json.loads(sys.argv[1])
out = sys.argv[2]
torch.set_num_threads(cfg["threads"])
dist.init_process_group("gloo")
rank, world = dist.get_rank(), dist.get_world_size()
torch.manual_seed(42)
V, T = cfg["vocab"], cfg["time"]
B = cfg["batch"] // world  # per rank; the global batch is cfg["batch"]

model = GPT(cfg)
model.train()
# DDP broadcasts rank 0's parameters at construction and all-reduces gradients in 25 MiB
# buckets during backward, overlapping the reduction with the rest of backward.
ddp = DistributedDataParallel(model, bucket_cap_mb=cfg.get("bucket_mb", 25))
opt = adamw(model)
g = torch.Generator().manual_seed(1)
data = torch.randint(0, V, (cfg["warmup"] + cfg["steps"], cfg["batch"], T + 1), generator=g)
# This rank's slice of each global batch, contiguous, as a distributed sampler would hand it over.
pairs = [(d[rank * B:(rank + 1) * B, :-1].contiguous(), d[rank * B:(rank + 1) * B, 1:].contiguous()) for d in data]
times, cpu_times, loss_value = timed_steps(ddp, model, opt, pairs, cfg["warmup"])
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
with open(os.path.join(out, f"rank-{rank}.json"), "w") as f:
    json.dump({"step_times": times, "step_cpu_times": cpu_times, "peak_rss_bytes": peak, "torch": torch.__version__,
               "threads": torch.get_num_threads(), "world_size": world, "last_loss": loss_value}, f)
dist.destroy_process_group()
