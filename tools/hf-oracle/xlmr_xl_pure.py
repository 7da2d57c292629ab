#!/usr/bin/env python3
"""A pure-Python (no torch, no numpy) XLM-RoBERTa-XL masked-LM forward in float64, and the golden tiny encoder
fixture it scores, for TextSSL's Hugging Face import.

gpt2_reference.py holds the same forward in plain PyTorch; this copy exists because python3-torch cannot be installed
on every machine (it conflicts with openmpi-bin on Debian 12). It follows the published XLMRobertaXLForMaskedLM
(parameter names of transformers' checkpoints): word + position (numbered from pad_token_id + 1) + token type 0,
no LayerNorm on the embeddings, per layer x + attn(LN(x)) and x + ffn(LN(x)), a final LayerNorm, and the LM head
dense -> GELU -> LayerNorm -> decoder + bias.

  xlmr_xl_pure.py make-fixture OUTDIR
      writes OUTDIR/tiny-xlmr-xl/ (config.json, model.safetensors in F32, the tiny GPT-2 fixture's vocab.json +
      merges.txt) and OUTDIR/expected_logits_xlmr.json
"""
import json
import math
import os
import random
import shutil
import struct
import sys

CONFIG = {
    "architectures": ["XLMRobertaXLForMaskedLM"],
    "model_type": "xlm-roberta-xl",
    "vocab_size": 300,
    "hidden_size": 16,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "intermediate_size": 64,
    "hidden_act": "gelu",
    "hidden_dropout_prob": 0.0,
    "attention_probs_dropout_prob": 0.0,
    "max_position_embeddings": 18,   # pad_token_id + 1 + 16 positions
    "type_vocab_size": 1,
    "layer_norm_eps": 1e-05,
    "position_embedding_type": "absolute",
    "pad_token_id": 1,
    "bos_token_id": 0,
    "eos_token_id": 2,
    "tie_word_embeddings": False,
    "torch_dtype": "float32",
}
INPUT_IDS = [[5, 72, 101, 257, 258, 32, 116, 46], [200, 3, 99, 256, 104, 101, 10, 7]]   # no pad id (1) among them


# --- tensors as nested lists ---------------------------------------------------------------------------------------

def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def shape_of(t):
    return [len(t)] + shape_of(t[0]) if isinstance(t, list) else []


def flat(t):
    return [v for row in t for v in flat(row)] if isinstance(t, list) else [t]


def matvec(w, x):          # w: [out, in] (Linear layout), x: [in]
    return [sum(a * b for a, b in zip(row, x)) for row in w]


def linear(x, w, b):
    return [y + c for y, c in zip(matvec(w, x), b)]


def layer_norm(x, w, b, eps):
    mean = sum(x) / len(x)
    var = sum((v - mean) ** 2 for v in x) / len(x)
    return [(v - mean) / math.sqrt(var + eps) * g + c for v, g, c in zip(x, w, b)]


def gelu(x):
    return [0.5 * v * (1.0 + math.erf(v / math.sqrt(2.0))) for v in x]


# --- the model -----------------------------------------------------------------------------------------------------

def forward(config, w, ids):
    c, n_head, eps, pad = config["hidden_size"], config["num_attention_heads"], config["layer_norm_eps"], config["pad_token_id"]
    head = c // n_head
    r = "roberta."
    out = []
    for seq in ids:
        # positions of real tokens are pad + 1, pad + 2, ... (no padding in these inputs)
        x = [[a + p + t for a, p, t in zip(w[r + "embeddings.word_embeddings.weight"][tok],
                                          w[r + "embeddings.position_embeddings.weight"][pad + 1 + i],
                                          w[r + "embeddings.token_type_embeddings.weight"][0])] for i, tok in enumerate(seq)]
        for layer in range(config["num_hidden_layers"]):
            l = f"{r}encoder.layer.{layer}."
            a = [layer_norm(v, w[l + "attention.self_attn_layer_norm.weight"], w[l + "attention.self_attn_layer_norm.bias"], eps) for v in x]
            q, k, v = ([linear(z, w[l + f"attention.self.{n}.weight"], w[l + f"attention.self.{n}.bias"]) for z in a] for n in ("query", "key", "value"))
            y = [[0.0] * c for _ in seq]
            for h in range(n_head):
                s = slice(h * head, (h + 1) * head)
                for i in range(len(seq)):
                    scores = [sum(p * o for p, o in zip(q[i][s], k[j][s])) / math.sqrt(head) for j in range(len(seq))]
                    top = max(scores)
                    e = [math.exp(z - top) for z in scores]
                    total = sum(e)
                    for d in range(head):
                        y[i][h * head + d] = sum(e[j] / total * v[j][h * head + d] for j in range(len(seq)))
            x = [[p + o for p, o in zip(xi, linear(yi, w[l + "attention.output.dense.weight"], w[l + "attention.output.dense.bias"]))] for xi, yi in zip(x, y)]
            m = [layer_norm(v, w[l + "LayerNorm.weight"], w[l + "LayerNorm.bias"], eps) for v in x]
            m = [linear(gelu(linear(v, w[l + "intermediate.dense.weight"], w[l + "intermediate.dense.bias"])), w[l + "output.dense.weight"], w[l + "output.dense.bias"]) for v in m]
            x = [[p + o for p, o in zip(xi, mi)] for xi, mi in zip(x, m)]
        x = [layer_norm(v, w[r + "encoder.LayerNorm.weight"], w[r + "encoder.LayerNorm.bias"], eps) for v in x]
        x = [layer_norm(gelu(linear(v, w["lm_head.dense.weight"], w["lm_head.dense.bias"])), w["lm_head.layer_norm.weight"], w["lm_head.layer_norm.bias"], eps) for v in x]
        out.append([linear(v, w["lm_head.decoder.weight"], w["lm_head.bias"]) for v in x])
    return out


# --- the fixture ---------------------------------------------------------------------------------------------------

def tiny_weights(config, seed):
    rng = random.Random(seed)
    c, v, inner = config["hidden_size"], config["vocab_size"], config["intermediate_size"]

    def rnd(*shape, std=0.2, mean=0.0):
        if len(shape) == 1:
            return [f32(rng.gauss(mean, std)) for _ in range(shape[0])]
        return [rnd(*shape[1:], std=std, mean=mean) for _ in range(shape[0])]

    r = "roberta."
    w = {
        r + "embeddings.word_embeddings.weight": rnd(v, c),
        r + "embeddings.position_embeddings.weight": rnd(config["max_position_embeddings"], c),
        r + "embeddings.token_type_embeddings.weight": rnd(1, c, std=0.1),   # non-zero: TextSSL folds it into positions
    }
    for i in range(config["num_hidden_layers"]):
        l = f"{r}encoder.layer.{i}."
        for ln in ("attention.self_attn_layer_norm", "LayerNorm"):
            w[l + ln + ".weight"] = rnd(c, std=0.1, mean=1.0)
            w[l + ln + ".bias"] = rnd(c, std=0.1)
        for name, out_f, in_f in (("attention.self.query", c, c), ("attention.self.key", c, c), ("attention.self.value", c, c),
                                  ("attention.output.dense", c, c), ("intermediate.dense", inner, c), ("output.dense", c, inner)):
            w[l + name + ".weight"] = rnd(out_f, in_f)
            w[l + name + ".bias"] = rnd(out_f, std=0.1)
    w[r + "encoder.LayerNorm.weight"] = rnd(c, std=0.1, mean=1.0)
    w[r + "encoder.LayerNorm.bias"] = rnd(c, std=0.1)
    w["lm_head.dense.weight"] = rnd(c, c)
    w["lm_head.dense.bias"] = rnd(c, std=0.1)
    w["lm_head.layer_norm.weight"] = rnd(c, std=0.1, mean=1.0)
    w["lm_head.layer_norm.bias"] = rnd(c, std=0.1)
    w["lm_head.decoder.weight"] = rnd(v, c)
    w["lm_head.bias"] = rnd(v, std=0.1)
    w["lm_head.decoder.bias"] = list(w["lm_head.bias"])   # transformers saves the decoder's copy of lm_head.bias
    return w


def write_safetensors(path, tensors):
    """The safetensors layout: 8-byte little-endian header length, JSON header, then F32 little-endian data."""
    header, offset, data = {"__metadata__": {"format": "pt"}}, 0, bytearray()
    for name in sorted(tensors):
        values = flat(tensors[name])
        raw = struct.pack(f"<{len(values)}f", *values)
        header[name] = {"dtype": "F32", "shape": shape_of(tensors[name]), "data_offsets": [offset, offset + len(raw)]}
        data += raw
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + bytes(data))


def make_fixture(out):
    here = os.path.join(out, "tiny-xlmr-xl")
    os.makedirs(here, exist_ok=True)
    w = tiny_weights(CONFIG, seed=7)
    write_safetensors(os.path.join(here, "model.safetensors"), w)
    with open(os.path.join(here, "config.json"), "w") as f:
        json.dump(CONFIG, f, indent=2)
        f.write("\n")
    for name in ("vocab.json", "merges.txt"):   # the tiny GPT-2 fixture's byte-level BPE (259 ids)
        shutil.copyfile(os.path.join(out, "tiny-gpt2", name), os.path.join(here, name))
    logits = forward(CONFIG, w, INPUT_IDS)
    with open(os.path.join(out, "expected_logits_xlmr.json"), "w") as f:
        json.dump({"input_ids": INPUT_IDS, "logits_fp32": [[[float(f"{v:.7g}") for v in row] for row in seq] for seq in logits]}, f)
        f.write("\n")


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "make-fixture":
        raise SystemExit(__doc__)
    make_fixture(sys.argv[2])
