#!/usr/bin/env bash
# GPU run recipe: on a Linux machine with PyTorch (CUDA) installed and no .NET, runs TextSSL's training-step
# benchmark through the 'external' libtorch backend (PyTorch's own libtorch) and, in the same run, the same step
# in plain PyTorch eager; prints both and their ratio.
#
# Prepare on a machine with the .NET SDK:   tools/gpu-pack.sh          (fills .device/, git-ignored, < 64 MiB)
# Run from the repository root on the GPU:  tools/gpu-bench.sh [OUT_DIR]   (default OUT_DIR: $OUT or runs/gpu-bench)
#
# Shape: GPT-2 small (12 layers, 12 heads, 768 wide, vocab 50,304, untied head, biases), batch 8 x 1,024,
# bf16 compute with fp32 master weights, TF32 on; 3 warm-up + 10 measured steps, each phase synchronised.
# Environment: DEVICE_DIR (default .device), REPEATS (10), WARMUP (3), TRAINER_STEPS (40: the trainer's median over
# intervals 2..4 of 10 steps), STAGE_TIMEOUT (300 s per stage), EXTRA="fp32" also runs fp32/TF32 on both sides.
set -euo pipefail

say() { printf '\n[gpu-bench] %s\n' "$*" >&2; }
root=$(cd "$(dirname "$0")/.." && pwd)
dev=${DEVICE_DIR:-$root/.device}
out=${1:-${OUT:-$root/runs/gpu-bench}}
repeats=${REPEATS:-10}
warmup=${WARMUP:-3}
work=${TMPDIR:-/tmp}/textssl-gpu
mkdir -p "$out" "$work"

for f in textssl-external.tar.xz dotnet-runtime.tar.xz; do
  [ -f "$dev/$f" ] || { echo "missing $dev/$f: run tools/gpu-pack.sh on a machine with the .NET SDK first" >&2; exit 1; }
done
if [ ! -x "$work/dotnet/dotnet" ]; then
  mkdir -p "$work/dotnet" && tar -xJf "$dev/dotnet-runtime.tar.xz" -C "$work/dotnet"
fi
rm -rf "$work/textssl" && tar -xJf "$dev/textssl-external.tar.xz" -C "$work"

torchlib=$(python3 -c 'import torch, os; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')
export DOTNET_ROOT="$work/dotnet" PATH="$work/dotnet:$PATH"
export TEXTSSL_LIBTORCH="$torchlib" LD_LIBRARY_PATH="$torchlib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# A GPU session is scarce: every stage runs even when an earlier one failed (each under a time limit), the
# failures are listed at the end, and the exit status says whether any stage failed.
textssl=(dotnet "$work/textssl/TextSSL.Cli.dll") # an array, not a function: timeout runs commands only
failed=()
stage() { # stage NAME LOGFILE COMMAND...
  local name=$1 log=$2; shift 2
  say "$name"
  if ! timeout "${STAGE_TIMEOUT:-300}" "$@" 2>&1 | tee "$log"; then
    say "FAILED: $name (log: $log)"
    failed+=("$name")
  fi
}

say "machine"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$out/gpu.txt" || true
python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda)' | tee -a "$out/gpu.txt" || true
stage "textssl doctor" "$out/doctor.txt" "${textssl[@]}" doctor

dtypes=bf16
case " ${EXTRA:-} " in *" fp32 "*) dtypes=bf16,fp32 ;; esac
stage "TextSSL training step ($dtypes), gpt2-small, untied head, batch 8x1024" "$out/textssl-train.txt" \
  "${textssl[@]}" bench train --device cuda --preset gpt2-small --untied-head --batch 8 --block 1024 --dtype "$dtypes" \
  --step fused,reference --warmup "$warmup" --repeats "$repeats" --out "$out"

stage "PyTorch eager training step (autocast bf16, fused AdamW, foreach clip), same shape" "$out/pytorch.txt" \
  python3 "$root/tools/bench/pytorch_step.py" --batch 8 --block 1024 --warmup "$warmup" --repeats "$repeats" --json "$out/pytorch.json"
if [ "$dtypes" != bf16 ]; then
  stage "PyTorch eager training step, fp32 + TF32" "$out/pytorch-fp32.txt" \
    python3 "$root/tools/bench/pytorch_step.py" --dtype fp32 --batch 8 --block 1024 --warmup "$warmup" --repeats "$repeats" --json "$out/pytorch-fp32.json"
fi

stage "TextSSL trainer step, data loading included (GPT-2 tokens of Moby-Dick, vocab padded to 50,304), against a bare loop" "$out/textssl-trainer.txt" \
  "${textssl[@]}" bench train-overhead --device cuda --preset gpt2-small --tokenizer gpt2 --pad-vocab 64 --untied-head \
  --batch 8 --block 1024 --dtype bf16 --data "$root/corpora/moby-dick/moby-dick.txt" --steps "${TRAINER_STEPS:-40}" --log-every 10 --repeats 1 --out "$out"

stage "TextSSL optimizer on CUDA (fused AdamW vs optim.AdamW, foreach clip vs clip_grad_norm_), gpt2-small parameters" "$out/textssl-optimizer.txt" \
  "${textssl[@]}" bench optimizer --device cuda --preset gpt2-small --warmup 5 --repeats 30 --out "$out"

say "comparison (ratio = TextSSL / PyTorch; below 1.0 is faster)"
if [ -f "$out/bench-train.csv" ] && [ -f "$out/pytorch.json" ]; then
  trainer=()
  [ -f "$out/bench-train-overhead.csv" ] && trainer=(--trainer "$out/bench-train-overhead.csv")
  python3 "$root/tools/bench/compare.py" "$out/bench-train.csv" "$out/pytorch.json" "${trainer[@]}" --md "$out/compare.md" || failed+=("comparison")
else
  say "no comparison: a TextSSL or PyTorch result is missing"
  failed+=("comparison")
fi

if [ ${#failed[@]} -gt 0 ]; then
  say "stages that failed: ${failed[*]}"
  exit 1
fi
say "all stages ran; results in $out"
