#!/usr/bin/python3
"""A plain-PyTorch GPT-2 forward pass, the model oracle for TextSSL's Hugging Face export and import
(and an XLM-RoBERTa-XL masked-LM forward for exported encoders).

Written from GPT-2's published definition (Radford et al. 2019; the parameter names and the Conv1D [in, out] weight
layout of transformers' GPT2LMHeadModel), not from TextSSL's code, so it checks TextSSL independently.

Needs Debian 13's python3-torch and python3-safetensors: call /usr/bin/python3 explicitly.

  gpt2_reference.py logits DIR --ids 1,2,3 [--ids ...] [--out FILE.json]
      logits of a Hugging Face GPT-2 directory (config.json + model.safetensors or shards) for the given inputs
  gpt2_reference.py compare DIR FILE.json
      FILE.json holds {"input_ids": [[...]], "logits": [[[...]]]} from TextSSL; prints the max |difference|
  gpt2_reference.py make-fixtures OUTDIR
      writes the tiny golden GPT-2 (fp32, fp16, bf16 and 2-shard copies) and expected_logits.json for the NUnit tests
"""
import argparse
import json
import math
import os
import sys

import torch
from safetensors.torch import load_file, save_file


# --- loading -------------------------------------------------------------------------------------------------------

def load_weights(directory, gpt2=True):
    """name -> float64 tensor, from model.safetensors or the shards named by model.safetensors.index.json."""
    index = os.path.join(directory, "model.safetensors.index.json")
    if os.path.exists(index):
        with open(index) as f:
            weight_map = json.load(f)["weight_map"]
        tensors = {}
        for shard in sorted(set(weight_map.values())):
            tensors.update(load_file(os.path.join(directory, shard)))
    else:
        tensors = load_file(os.path.join(directory, "model.safetensors"))
    # files saved from GPT2Model have no "transformer." prefix
    out = {}
    for name, t in tensors.items():
        if gpt2 and not name.startswith("transformer.") and name != "lm_head.weight":
            name = "transformer." + name
        out[name] = t.to(torch.float64)
    return out


# --- the model -----------------------------------------------------------------------------------------------------

def layer_norm(x, weight, bias, eps):
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean) ** 2).mean(-1, keepdim=True)   # biased variance, as GPT-2's LayerNorm
    return (x - mean) / torch.sqrt(var + eps) * weight + bias


def gelu(x, kind):
    if kind == "gelu":                                 # exact: x * Phi(x)
        return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))
    if kind in ("gelu_new", "gelu_pytorch_tanh"):      # GPT-2's original tanh approximation
        return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))
    raise SystemExit(f"activation_function {kind!r} is not GPT-2's")


def conv1d(x, w, b):
    """GPT-2's Conv1D: weight stored [in, out], y = x @ w + b."""
    return x @ w + b


def forward(config, w, ids):
    """Logits (B, T, V), float64, for ids (B, T)."""
    n_embd, n_head = config["n_embd"], config["n_head"]
    eps = config.get("layer_norm_epsilon", 1e-5)
    act = config.get("activation_function", "gelu_new")
    head = n_embd // n_head
    b, t = ids.shape
    p = "transformer."
    x = w[p + "wte.weight"][ids] + w[p + "wpe.weight"][torch.arange(t)]
    causal = torch.ones(t, t, dtype=torch.bool).tril()
    for i in range(config["n_layer"]):
        h = f"{p}h.{i}."
        a = layer_norm(x, w[h + "ln_1.weight"], w[h + "ln_1.bias"], eps)
        qkv = conv1d(a, w[h + "attn.c_attn.weight"], w[h + "attn.c_attn.bias"])     # (B, T, 3C): [q | k | v]
        q, k, v = qkv.split(n_embd, dim=-1)
        q, k, v = (z.view(b, t, n_head, head).transpose(1, 2) for z in (q, k, v))    # (B, H, T, D)
        scores = q @ k.transpose(-1, -2) / math.sqrt(head)
        scores = scores.masked_fill(~causal, float("-inf"))
        y = torch.softmax(scores, dim=-1) @ v                                        # (B, H, T, D)
        y = y.transpose(1, 2).reshape(b, t, n_embd)
        x = x + conv1d(y, w[h + "attn.c_proj.weight"], w[h + "attn.c_proj.bias"])
        m = layer_norm(x, w[h + "ln_2.weight"], w[h + "ln_2.bias"], eps)
        m = gelu(conv1d(m, w[h + "mlp.c_fc.weight"], w[h + "mlp.c_fc.bias"]), act)
        x = x + conv1d(m, w[h + "mlp.c_proj.weight"], w[h + "mlp.c_proj.bias"])
    x = layer_norm(x, w[p + "ln_f.weight"], w[p + "ln_f.bias"], eps)
    tied = config.get("tie_word_embeddings", True)
    head_weight = w[p + "wte.weight"] if tied else w["lm_head.weight"]                # Linear: [V, C]
    return x @ head_weight.T


def forward_xlm_roberta_xl(config, w, ids):
    """Masked-LM logits (B, T, V), float64, of XLM-RoBERTa-XL (fairseq's pre-LayerNorm RoBERTa): no LayerNorm on the
    embeddings, x + attn(LN(x)) and x + ffn(LN(x)) per layer, a final LayerNorm, and the LM head
    dense -> GELU -> LayerNorm -> decoder (tied to the word embeddings unless told otherwise) + bias."""
    c, n_head = config["hidden_size"], config["num_attention_heads"]
    eps = config.get("layer_norm_eps", 1e-5)
    act = config.get("hidden_act", "gelu")
    pad = config["pad_token_id"]
    head = c // n_head
    b, t = ids.shape
    r = "roberta."
    # RoBERTa numbers real tokens from pad + 1; padding tokens get position pad
    not_pad = (ids != pad).long()
    positions = torch.cumsum(not_pad, dim=1) * not_pad + pad
    x = w[r + "embeddings.word_embeddings.weight"][ids] + w[r + "embeddings.position_embeddings.weight"][positions]
    x = x + w[r + "embeddings.token_type_embeddings.weight"][torch.zeros_like(ids)]
    key_mask = (ids != pad)[:, None, None, :]
    for i in range(config["num_hidden_layers"]):
        l = f"{r}encoder.layer.{i}."
        a = layer_norm(x, w[l + "attention.self_attn_layer_norm.weight"], w[l + "attention.self_attn_layer_norm.bias"], eps)
        q, k, v = (a @ w[l + f"attention.self.{n}.weight"].T + w[l + f"attention.self.{n}.bias"] for n in ("query", "key", "value"))
        q, k, v = (z.view(b, t, n_head, head).transpose(1, 2) for z in (q, k, v))
        scores = (q @ k.transpose(-1, -2) / math.sqrt(head)).masked_fill(~key_mask, float("-inf"))
        y = (torch.softmax(scores, dim=-1) @ v).transpose(1, 2).reshape(b, t, c)
        x = x + y @ w[l + "attention.output.dense.weight"].T + w[l + "attention.output.dense.bias"]
        m = layer_norm(x, w[l + "LayerNorm.weight"], w[l + "LayerNorm.bias"], eps)
        m = gelu(m @ w[l + "intermediate.dense.weight"].T + w[l + "intermediate.dense.bias"], act)
        x = x + m @ w[l + "output.dense.weight"].T + w[l + "output.dense.bias"]
    x = layer_norm(x, w[r + "encoder.LayerNorm.weight"], w[r + "encoder.LayerNorm.bias"], eps)
    x = gelu(x @ w["lm_head.dense.weight"].T + w["lm_head.dense.bias"], "gelu")
    x = layer_norm(x, w["lm_head.layer_norm.weight"], w["lm_head.layer_norm.bias"], eps)
    tied = config.get("tie_word_embeddings", True)
    decoder = w[r + "embeddings.word_embeddings.weight"] if tied else w["lm_head.decoder.weight"]
    return x @ decoder.T + w["lm_head.bias"]


def logits_of(directory, ids):
    with open(os.path.join(directory, "config.json")) as f:
        config = json.load(f)
    model_type = config.get("model_type")
    ids = torch.tensor(ids, dtype=torch.long)
    with torch.no_grad():
        if model_type == "gpt2":
            return forward(config, load_weights(directory), ids)
        if model_type == "xlm-roberta-xl":
            return forward_xlm_roberta_xl(config, load_weights(directory, gpt2=False), ids)
    raise SystemExit(f"{directory}/config.json: model_type is {model_type!r}; this reference knows gpt2 and xlm-roberta-xl")


# --- the golden fixture --------------------------------------------------------------------------------------------

def bytes_to_unicode():
    """GPT-2's reversible byte -> printable character table (its encoder.py convention)."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    table, extra = {}, 0
    for byte in range(256):
        if byte in keep:
            table[byte] = chr(byte)
        else:
            table[byte] = chr(256 + extra)
            extra += 1
    return table


def tiny_gpt2(seed):
    """A random 2-layer, 2-head, 32-dim GPT-2 with 300 ids (259 used by its tokenizer) and 16 positions."""
    config = {
        "architectures": ["GPT2LMHeadModel"], "model_type": "gpt2",
        "vocab_size": 300, "n_positions": 16, "n_ctx": 16, "n_embd": 32, "n_layer": 2, "n_head": 2, "n_inner": None,
        "activation_function": "gelu", "layer_norm_epsilon": 1e-5, "resid_pdrop": 0.0, "embd_pdrop": 0.0, "attn_pdrop": 0.0,
        "tie_word_embeddings": True, "bos_token_id": 256, "eos_token_id": 256,
    }
    g = torch.Generator().manual_seed(seed)
    c, v, n = config["n_embd"], config["vocab_size"], config["n_positions"]

    def rnd(*shape, std=0.2, mean=0.0):
        return (torch.randn(*shape, generator=g) * std + mean).to(torch.float32)

    w = {"transformer.wte.weight": rnd(v, c, std=0.5), "transformer.wpe.weight": rnd(n, c, std=0.3)}
    for i in range(config["n_layer"]):
        h = f"transformer.h.{i}."
        for ln in ("ln_1", "ln_2"):
            w[h + ln + ".weight"] = rnd(c, std=0.1, mean=1.0)
            w[h + ln + ".bias"] = rnd(c, std=0.1)
        for name, fan_in, fan_out in (("attn.c_attn", c, 3 * c), ("attn.c_proj", c, c), ("mlp.c_fc", c, 4 * c), ("mlp.c_proj", 4 * c, c)):
            w[h + name + ".weight"] = rnd(fan_in, fan_out, std=1.0 / math.sqrt(fan_in))
            w[h + name + ".bias"] = rnd(fan_out, std=0.1)
    w["transformer.ln_f.weight"] = rnd(c, std=0.1, mean=1.0)
    w["transformer.ln_f.bias"] = rnd(c, std=0.1)
    return config, w


def write_tokenizer(directory):
    table = bytes_to_unicode()
    vocab = {table[b]: b for b in range(256)}
    vocab["<|endoftext|>"] = 256
    merges = [("Ġ", "t"), ("h", "e")]
    for i, (a, b) in enumerate(merges):
        vocab[a + b] = 257 + i
    with open(os.path.join(directory, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False)
    with open(os.path.join(directory, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in merges))


def rounded(logits):
    """Nested lists at fp32 precision (7 significant digits keeps the file small; the error is far below 1e-4)."""
    return [[[float(f"{v:.7g}") for v in row] for row in seq] for seq in logits.tolist()]


def make_fixtures(out):
    config, w = tiny_gpt2(seed=14)
    g = torch.Generator().manual_seed(7)
    ids = torch.randint(0, 259, (2, 8), generator=g).tolist()
    expected = {"input_ids": ids}
    variants = {"tiny-gpt2": ("fp32", torch.float32), "tiny-gpt2-fp16": ("fp16", torch.float16), "tiny-gpt2-bf16": ("bf16", torch.bfloat16)}
    for name, (label, dtype) in variants.items():
        d = os.path.join(out, name)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(config | {"torch_dtype": str(dtype).removeprefix("torch.")}, f, indent=2)
        write_tokenizer(d)
        save_file({k: t.to(dtype).contiguous() for k, t in w.items()}, os.path.join(d, "model.safetensors"), metadata={"format": "pt"})
        # fp16/bf16 copies: the reference runs on their rounded weights, as an importer converting to fp32 does
        expected["logits_" + label] = rounded(logits_of(d, ids))
    # the fp32 weights in two shards
    d = os.path.join(out, "tiny-gpt2-sharded")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(config | {"torch_dtype": "float32"}, f, indent=2)
    write_tokenizer(d)
    names = list(w)
    halves = [names[: len(names) // 2], names[len(names) // 2:]]
    weight_map = {}
    for i, half in enumerate(halves):
        shard = f"model-{i + 1:05d}-of-00002.safetensors"
        save_file({k: w[k] for k in half}, os.path.join(d, shard), metadata={"format": "pt"})
        weight_map.update({k: shard for k in half})
    total = sum(t.numel() * 4 for t in w.values())
    with open(os.path.join(d, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)
    assert torch.equal(logits_of(d, ids), logits_of(os.path.join(out, "tiny-gpt2"), ids)), "the sharded copy must compute what the single file computes"
    with open(os.path.join(out, "expected_logits.json"), "w") as f:
        json.dump(expected, f)
    print(f"wrote {', '.join(list(variants) + ['tiny-gpt2-sharded', 'expected_logits.json'])} to {out}")


# --- entry point ---------------------------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("logits")
    p.add_argument("directory")
    p.add_argument("--ids", action="append", required=True, help="comma-separated token ids; repeat for a batch")
    p.add_argument("--out")
    p = sub.add_parser("compare")
    p.add_argument("directory")
    p.add_argument("textssl_logits")
    p = sub.add_parser("make-fixtures")
    p.add_argument("out")
    args = parser.parse_args()

    if args.command == "logits":
        ids = [[int(x) for x in row.split(",")] for row in args.ids]
        logits = logits_of(args.directory, ids)
        if args.out:
            with open(args.out, "w") as f:
                json.dump({"input_ids": ids, "logits": logits.tolist()}, f)
        print(f"logits shape {list(logits.shape)}; first row {[round(v, 5) for v in logits[0, 0, :5].tolist()]}")
    elif args.command == "compare":
        with open(args.textssl_logits) as f:
            theirs = json.load(f)
        ours = logits_of(args.directory, theirs["input_ids"])
        other = torch.tensor(theirs["logits"], dtype=torch.float64)
        if other.shape != ours.shape:
            raise SystemExit(f"shape mismatch: reference {list(ours.shape)}, TextSSL {list(other.shape)}")
        diff = (ours - other).abs().max().item()
        print(f"max |logit difference| = {diff:.3e} over {ours.numel()} logits (reference in float64 from {args.directory})")
        sys.exit(0 if diff <= 1e-4 else 1)
    else:
        make_fixtures(args.out)


if __name__ == "__main__":
    main()
