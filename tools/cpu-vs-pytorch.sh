#!/usr/bin/env bash
# TextSSL's trainer against PyTorch on this CPU, on the nanoGPT CPU recipe (char-small, Moby-Dick, batch 12 × 64):
# alternating whole-process runs (A B C A B C …), each configuration run for S1 and for S2 steps; the per-step figure
# is the difference divided by S2 − S1, so start-up, loading and evaluation cancel out. Prints process CPU ms/step
# (steady on a shared machine) and wall ms/step (the honest figure on a quiet one); take medians over rounds.
#
# usage: tools/cpu-vs-pytorch.sh THREADS ROUNDS CONFIG...
#   CONFIG: a --cpu-matmul value of `textssl train` (auto, blas, onednn, linear) or `pytorch`
# environment:
#   TEXTSSL  the textssl command (default: .tools/bin/textssl from tools/install.sh)
#   PYTHON   a python3 that imports torch (default: python3), e.g. Debian 13's python3-torch 2.6 with OpenBLAS
#   S1, S2   the two step counts (default 30 and 180)
# PyTorch runs with OPENBLAS_NUM_THREADS=1 and torch.set_num_threads(THREADS), as in the issue's reference: OpenBLAS's
# own threads on top of PyTorch's oversubscribe the cores (measured here: 391 ms/step at 2 threads instead of ~40).
# example: tools/cpu-vs-pytorch.sh 1 5 linear blas pytorch
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 3 ]; then sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 2; fi
threads=$1; rounds=$2; shift 2
case $threads in ''|*[!0-9]*|0) echo "error: THREADS must be a whole number ≥ 1 (got '$threads')" >&2; exit 2;; esac
case $rounds in ''|*[!0-9]*|0) echo "error: ROUNDS must be a whole number ≥ 1 (got '$rounds')" >&2; exit 2;; esac
S1=${S1:-30}; S2=${S2:-180}
TEXTSSL=${TEXTSSL:-.tools/bin/textssl}
PYTHON=${PYTHON:-python3}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
for c in "$@"; do
  case $c in
    pytorch) "$PYTHON" -c 'import torch' 2>/dev/null || { echo "error: '$PYTHON' cannot import torch; set PYTHON to a python3 with PyTorch" >&2; exit 1; };;
    auto|blas|onednn|linear) [ -x "$TEXTSSL" ] || command -v "$TEXTSSL" >/dev/null || { echo "error: '$TEXTSSL' not found; run tools/install.sh or set TEXTSSL" >&2; exit 1; };;
    *) echo "error: unknown configuration '$c' (auto, blas, onednn, linear or pytorch)" >&2; exit 2;;
  esac
done

run() { # CONFIG STEPS → "cpu_seconds wall_seconds"
  local c=$1 n=$2
  if [ "$c" = pytorch ]; then
    OPENBLAS_NUM_THREADS=1 /usr/bin/time -f "%U %S %e" -o "$work/time" \
      "$PYTHON" tools/bench/nanogpt_cpu_step.py "$threads" "$n" steps corpora/moby-dick/moby-dick.txt >/dev/null 2>&1 || true
  else
    /usr/bin/time -f "%U %S %e" -o "$work/time" "$TEXTSSL" train --data corpora/moby-dick/moby-dick.txt --tokenizer char \
      --preset char-small --batch-size 12 --steps "$n" --eval-every "$n" --eval-batches 1 --log-every 10 \
      --threads "$threads" --cpu-matmul "$c" --out "$work/run-$c-$n" >/dev/null 2>&1 || true
    rm -rf "$work/run-$c-$n"
  fi
  if grep -q 'exited with non-zero status' "$work/time"; then
    echo "error: the $c run of $n steps failed; run that configuration by hand to see why" >&2; return 1
  fi
  awk '{printf "%.3f %.3f\n", $1 + $2, $3}' "$work/time"
}

echo "# threads $threads, $rounds rounds, steps $S1 and $S2; ms/step = (run($S2) - run($S1)) / $((S2 - S1))"
for r in $(seq "$rounds"); do
  for c in "$@"; do
    read -r ca wa < <(run "$c" "$S1"); read -r cb wb < <(run "$c" "$S2")
    awk -v c="$c" -v r="$r" -v t="$threads" -v l="$(cut -d' ' -f1 /proc/loadavg)" -v ca="$ca" -v cb="$cb" -v wa="$wa" -v wb="$wb" -v n=$((S2 - S1)) \
      'BEGIN { printf "round %d  %-8s threads %d  load %s  cpu %.1f ms/step  wall %.1f ms/step\n", r, c, t, l, (cb - ca) * 1000 / n, (wb - wa) * 1000 / n }'
  done
done
