#!/usr/bin/env bash
# TextSSL's main job, end to end on a fresh machine:
#   set-up → build → doctor → pretrain a character-level GPT on the shipped Moby-Dick (nanoGPT's CPU recipe)
#   → evaluate → sample text from it → probe its representations on a small labelled set (SpamAssassin emails)
#   against TF-IDF, random-weight and supervised-from-scratch baselines.
# Usage: tools/main.sh [RUN_DIR]      (default runs/main-<timestamp>; STEPS=N shortens pretraining)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
run=${1:-runs/main-$(date +%Y%m%d-%H%M%S)}
steps=${STEPS:-2000}
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "set-up"
tools/setup.sh
step "build (Release)"
dotnet build TextSSL.sln -c Release -nologo -v quiet -clp:ErrorsOnly
tools/install.sh   # the installed tools (.tools/bin) run every step below, as a user's `textssl` would
textssl() { "$root/.tools/bin/textssl" "$@"; }
prep() { "$root/.tools/bin/textssl-prep" "$@"; }

step "doctor"
textssl doctor

step "pretrain: char-level GPT (char-small) on Moby-Dick, $steps steps"
textssl train --task clm --data corpora/moby-dick/moby-dick.txt --tokenizer char --preset char-small \
  --steps "$steps" --batch-size 12 --lr 1e-3 --min-lr 1e-4 --warmup 100 --beta2 0.99 --weight-decay 0.1 \
  --dropout 0 --eval-every 500 --seed 1337 --out "$run/moby"

step "evaluate: validation loss over every token of the last 10% of the book"
textssl eval --model "$run/moby" --data corpora/moby-dick/moby-dick.txt

step "sample from the trained model"
textssl generate --model "$run/moby" --prompt "Call me Ishmael. " --max-new-tokens 400 --temperature 0.8 --seed 1337

step "probe: what the representations are worth on a labelled set (SpamAssassin ham/spam)"
prep fetch spam-assassin
prep labels --corpus spam-assassin --out "$run/spam.csv"
textssl probe --model "$run/moby" --data "$run/spam.csv" --samples-per-label 8,32,128 --experiments 3 \
  --baselines tfidf,random,supervised --supervised-max-steps 150 --out "$run/probe"

step "done"
echo "run directory: $run (checkpoints in moby/best and moby/last, metrics in moby/metrics.csv, probe report in probe/report.md)"
