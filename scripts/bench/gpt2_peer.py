"""What BlockLab's PyTorch training peers share (train_pytorch.py, train_ddp_peer.py): the
same GPT-2 as BlockLab's trainer in Hugging Face's layout (pre-LayerNorm, fused QKV, causal
softmax attention, tanh GELU, tied embeddings, GPT-2's initialisation), AdamW with weight
decay on matrices only, and the timed training loop (clipping at 1.0).

cfg is the peers' CONFIG_JSON: {"vocab", "time", "n_embd", "n_layer", "n_head", "dropout", ...}.
"""
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        C, T = cfg["n_embd"], cfg["time"]
        self.n_head = cfg["n_head"]
        self.ln_1 = nn.LayerNorm(C, eps=1e-5)
        self.c_attn = nn.Linear(C, 3 * C)
        self.c_proj = nn.Linear(C, C)
        self.ln_2 = nn.LayerNorm(C, eps=1e-5)
        self.c_fc = nn.Linear(C, 4 * C)
        self.mlp_proj = nn.Linear(4 * C, C)
        self.drop = nn.Dropout(cfg["dropout"])
        # A plain attribute, not a buffer: DDP broadcasts buffers, and Gloo has no bool type.
        self.mask = torch.tril(torch.ones(T, T, dtype=torch.bool)).view(1, 1, T, T)

    def forward(self, x):
        b, t, c = x.shape
        H = self.n_head
        q, k, v = self.c_attn(self.ln_1(x)).split(c, dim=2)
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
    """The model; its forward pass returns the mean cross-entropy of next-token prediction."""

    def __init__(self, cfg):
        super().__init__()
        V, T, C = cfg["vocab"], cfg["time"], cfg["n_embd"]
        self.vocab = V
        self.wte = nn.Embedding(V, C)
        self.wpe = nn.Embedding(T, C)
        self.drop = nn.Dropout(cfg["dropout"])
        self.h = nn.ModuleList([Block(cfg) for _ in range(cfg["n_layer"])])
        self.ln_f = nn.LayerNorm(C, eps=1e-5)
        # GPT-2's initialisation: normal(0, 0.02), residual projections scaled by 1/sqrt(2 n_layer).
        for name, p in self.named_parameters():
            if p.dim() >= 2:
                residual = name.endswith(("c_proj.weight", "mlp_proj.weight"))
                torch.nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * cfg["n_layer"]) if residual else 0.02)
            elif "ln" in name and name.endswith("weight"):
                torch.nn.init.ones_(p)
            else:
                torch.nn.init.zeros_(p)

    def forward(self, idx, targets):
        pos = torch.arange(idx.size(1))
        x = self.drop(self.wte(idx) + self.wpe(pos))
        for block in self.h:
            x = block(x)
        logits = F.linear(self.ln_f(x), self.wte.weight)
        return F.cross_entropy(logits.view(-1, self.vocab), targets.view(-1), ignore_index=-1)


def adamw(model):
    """AdamW at 3e-4, weight decay 0.01 on matrices, none on biases and norms."""
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    return torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}], lr=3e-4)


def timed_steps(forward, model, opt, pairs, warmup):
    """Trains one step per (inputs, targets) pair; returns the wall and CPU seconds of each
    step after the first `warmup`, and the last loss."""
    times, cpu_times, loss_value = [], [], None
    for i, (x, y) in enumerate(pairs):
        start, start_cpu = time.perf_counter(), time.process_time()
        opt.zero_grad(set_to_none=True)
        loss = forward(x, y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        loss_value = loss.item()
        if i >= warmup:
            times.append(time.perf_counter() - start)
            cpu_times.append(time.process_time() - start_cpu)
    return times, cpu_times, loss_value
