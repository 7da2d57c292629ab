#!/usr/bin/env python3
"""The plain-PyTorch training step TextSSL's `bench train` is compared with.

Same shape as `textssl bench train --preset gpt2-small --untied-head`: a pre-LayerNorm GPT-2 decoder
(12 layers, 12 heads, 768 wide, vocab 50,304, biases, learned positions, untied head), random tokens,
batch 8 x 1,024. PyTorch eager as its users write it: fp32 weights + autocast(bfloat16), TF32 on,
AdamW(fused=True) with decay only on >=2-D tensors, clip_grad_norm_(foreach=True), zero_grad(set_to_none).
Each phase (forward+backward, clip, optimizer) is bracketed by torch.cuda.synchronize().

    python3 tools/bench/pytorch_step.py --json out.json
"""
import argparse
import json
import math
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.ln_1 = nn.LayerNorm(dim)
        self.c_attn = nn.Linear(dim, 3 * dim)
        self.attn_proj = nn.Linear(dim, dim)
        self.ln_2 = nn.LayerNorm(dim)
        self.c_fc = nn.Linear(dim, 4 * dim)
        self.mlp_proj = nn.Linear(4 * dim, dim)

    def forward(self, x):
        b, t, c = x.shape
        # (B, T, 3C) -> three (B, H, T, D) views
        q, k, v = self.c_attn(self.ln_1(x)).view(b, t, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.attn_proj(y.transpose(1, 2).reshape(b, t, c))
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x))))


class Gpt(nn.Module):
    def __init__(self, vocab, block, layers, heads, dim):
        super().__init__()
        self.wte = nn.Embedding(vocab, dim)
        self.wpe = nn.Embedding(block, dim)
        self.h = nn.ModuleList(Block(dim, heads) for _ in range(layers))
        self.ln_f = nn.LayerNorm(dim)
        self.lm_head = nn.Linear(dim, vocab, bias=False)
        for name, p in self.named_parameters():
            if p.dim() >= 2:
                # GPT-2 init; residual projections scaled by depth
                std = 0.02 / math.sqrt(2 * layers) if name.endswith("proj.weight") else 0.02
                nn.init.normal_(p, 0.0, std)

    def forward(self, ids):
        pos = torch.arange(ids.shape[1], device=ids.device)
        x = self.wte(ids) + self.wpe(pos)
        for block in self.h:
            x = block(x)
        return self.lm_head(self.ln_f(x))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--block", type=int, default=1024)
    ap.add_argument("--vocab", type=int, default=50304)
    ap.add_argument("--layers", type=int, default=12)
    ap.add_argument("--heads", type=int, default=12)
    ap.add_argument("--dim", type=int, default=768)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--dtype", choices=["bf16", "fp32"], default="bf16", help="autocast bf16, or plain fp32 (TF32)")
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--json", help="write the figures here as JSON")
    args = ap.parse_args()

    torch.manual_seed(1337)
    device = torch.device(args.device)
    cuda = device.type == "cuda"
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    sync = torch.cuda.synchronize if cuda else (lambda: None)

    model = Gpt(args.vocab, args.block, args.layers, args.heads, args.dim).to(device)
    model.train()
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=6e-4, betas=(0.9, 0.95), eps=1e-8, fused=cuda)
    batches = []
    for _ in range(4):
        tokens = torch.randint(0, args.vocab, (args.batch, args.block + 1))
        batches.append((tokens[:, :-1].contiguous().to(device), tokens[:, 1:].contiguous().to(device)))
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=args.dtype == "bf16")

    phases = {"fwd+bwd": [], "clip": [], "optimizer": [], "step": []}
    if cuda:
        torch.cuda.reset_peak_memory_stats(device)
    for i in range(args.warmup + args.repeats):
        x, y = batches[i % len(batches)]
        sync()
        t0 = time.perf_counter()
        with autocast:
            logits = model(x)
            loss = F.cross_entropy(logits.float().view(-1, logits.size(-1)), y.view(-1))
        loss.backward()
        sync()
        t1 = time.perf_counter()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0, foreach=True)
        sync()
        t2 = time.perf_counter()
        opt.step()
        opt.zero_grad(set_to_none=True)
        sync()
        t3 = time.perf_counter()
        if i >= args.warmup:
            for name, ms in (("fwd+bwd", t1 - t0), ("clip", t2 - t1), ("optimizer", t3 - t2), ("step", t3 - t0)):
                phases[name].append(ms * 1000.0)

    params = sum(p.numel() for p in model.parameters())
    step_median = statistics.median(phases["step"])
    result = {
        "what": f"PyTorch {torch.__version__} eager, fp32 weights + autocast({args.dtype}), AdamW(fused={cuda}), clip_grad_norm_(foreach=True)",
        "device": torch.cuda.get_device_name(device) if cuda else "cpu",
        "batch": args.batch, "block": args.block, "params": params, "warmup": args.warmup, "repeats": args.repeats,
        "median_ms": {k: statistics.median(v) for k, v in phases.items()},
        "mean_ms": {k: statistics.fmean(v) for k, v in phases.items()},
        "tokens_per_s": args.batch * args.block / (step_median / 1000.0),
    }
    if cuda:
        free, total = torch.cuda.mem_get_info(device)
        result["max_memory_allocated_mib"] = torch.cuda.max_memory_allocated(device) / 2**20
        result["max_memory_reserved_mib"] = torch.cuda.max_memory_reserved(device) / 2**20
        result["device_memory_used_mib"] = (total - free) / 2**20
    print(f"{result['what']} on {result['device']}, {params / 1e6:.2f}M parameters, batch {args.batch}x{args.block}")
    for name in phases:
        print(f"  {name:10s} median {result['median_ms'][name]:8.2f} ms   mean {result['mean_ms'][name]:8.2f} ms")
    print(f"  {result['tokens_per_s']:.0f} tokens/s")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
