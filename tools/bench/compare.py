#!/usr/bin/env python3
"""Prints TextSSL's `bench train` rows next to the plain-PyTorch step and their ratio.

    python3 tools/bench/compare.py OUT/bench-train.csv OUT/pytorch.json [--trainer OUT/bench-train-overhead.csv] [--md OUT/compare.md]

--trainer adds the rows of `textssl bench train-overhead`: the bare loop and TextSSL's full trainer step, whose
time includes sampling the batch on the host and uploading it (only whole-step times exist for those rows).

The ratio is TextSSL step time / PyTorch step time (below 1.0 means TextSSL is faster), on medians and on means.
"""
import argparse
import csv
import json


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("textssl_csv")
    ap.add_argument("pytorch_json")
    ap.add_argument("--trainer", help="bench-train-overhead.csv: bare-loop and trainer rows (whole steps, data loading included)")
    ap.add_argument("--md", help="also write the table here")
    args = ap.parse_args()

    with open(args.textssl_csv, newline="") as f:
        rows = list(csv.DictReader(f))
    with open(args.pytorch_json) as f:
        py = json.load(f)
    py_median = py["median_ms"]["step"]
    py_mean = py["mean_ms"]["step"]

    lines = [
        f"device: {py['device']}; batch {py['batch']}x{py['block']}; {py['repeats']} steps after {py['warmup']} warm-up; "
        "phases are medians, each bracketed by a device synchronisation",
        "",
        "| run | fwd+bwd ms | clip ms | optimizer ms | step ms (median) | step ms (mean) | tokens/s | x PyTorch (median) | x PyTorch (mean) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        median = float(r["step ms (median)"])
        mean = float(r["step ms (mean)"])
        lines.append(f"| TextSSL {r['compute']}, {r['step']} | {r['fwd+bwd ms']} | {r['clip ms']} | {r['optimizer ms']} | "
                     f"{median:.2f} | {mean:.2f} | {r['tokens/s']} | {median / py_median:.3f} | {mean / py_mean:.3f} |")
    if args.trainer:
        with open(args.trainer, newline="") as f:
            for r in csv.DictReader(f):
                ms = float(r["ms/step (median)"])
                lines.append(f"| {r['loop']}, {r['compute']}, {r['model']} | | | | {ms:.2f} | | {float(r['tokens/s']):.0f} | "
                             f"{ms / py_median:.3f} | |")
    m = py["median_ms"]
    lines.append(f"| {py['what']} | {m['fwd+bwd']:.2f} | {m['clip']:.2f} | {m['optimizer']:.2f} | "
                 f"{py_median:.2f} | {py_mean:.2f} | {py['tokens_per_s']:.0f} | 1.000 | 1.000 |")
    if "max_memory_reserved_mib" in py:
        lines.append("")
        lines.append(f"PyTorch memory: max allocated {py['max_memory_allocated_mib']:.0f} MiB, max reserved "
                     f"{py['max_memory_reserved_mib']:.0f} MiB, device in use {py['device_memory_used_mib']:.0f} MiB; "
                     "TextSSL's 'device mem' column is the device in use (NVML).")
    text = "\n".join(lines)
    print(text)
    if args.md:
        with open(args.md, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
