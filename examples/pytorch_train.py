"""A plain PyTorch training loop recorded by BlockLab: two lines added (init, log), plus a
checkpoint. Run it with `python examples/pytorch_train.py --steps 200` after
`pip install ./python` (and BlockLab's `blocklab` on PATH, or BLOCKLAB_BIN set); then
`blocklab runs`, `blocklab metrics latest`, `blocklab logs latest`.

It fits a small MLP to y = sin(x) on synthetic data, so it needs nothing but torch.
"""

import argparse
import math
import os

import torch

import blocklab


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--lr", type=float, default=1e-2)
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--out", default="checkpoints")
    args = parser.parse_args()

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(1, args.hidden), torch.nn.Tanh(), torch.nn.Linear(args.hidden, 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    x_val = torch.linspace(-math.pi, math.pi, 256).unsqueeze(1)
    y_val = torch.sin(x_val)

    with blocklab.init(name="sine-mlp", config=vars(args), tags={"example": "pytorch"}) as run:
        best = float("inf")
        os.makedirs(args.out, exist_ok=True)
        for step in range(args.steps):
            x = torch.rand(args.batch, 1) * 2 * math.pi - math.pi
            loss = torch.nn.functional.mse_loss(model(x), torch.sin(x))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            run.log({"train/loss": loss.item(), "train/lr": args.lr}, step=step)
            if (step + 1) % 50 == 0 or step + 1 == args.steps:
                with torch.no_grad():
                    val = torch.nn.functional.mse_loss(model(x_val), y_val).item()
                run.log({"val/loss": val}, step=step)
                print(f"step {step}: train {loss.item():.4f} val {val:.4f}")
                if val < best:
                    best = val
                    path = os.path.join(args.out, "best.pt")
                    torch.save(model.state_dict(), path)
                    run.log_checkpoint(path, step=step, is_best=True, metrics={"val/loss": val})
        print(f"run {run.id} ({run.uuid}): best val/loss {best:.4f}")


if __name__ == "__main__":
    main()
