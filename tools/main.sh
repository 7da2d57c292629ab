#!/usr/bin/env bash
# TextSSL's main job, end to end on a fresh machine:
#   set-up → build → install → doctor → a character-level GPT on the shipped Moby-Dick (nanoGPT's CPU recipe, shortened)
#   → evaluate → sample "Call me Ishmael. …" from it
#   → representations where pretraining is meant to pay: on the unlabelled TRAINING texts of a labelled set
#     (fortunes, 10 largest categories; test texts never enter), an in-domain BPE tokenizer, next-token pretraining,
#     a short contrastive (SimCSE) stage, then a label-efficiency probe against TF-IDF, random weights and
#     supervised from scratch, with pretrained+TF-IDF beside them.
# Usage: tools/main.sh [RUN_DIR]      (default runs/main-<timestamp>; STEPS=N sets the Moby-Dick steps,
#        PRETRAIN_STEPS=N / CSE_STEPS=N the in-domain stages)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
run=${1:-runs/main-$(date +%Y%m%d-%H%M%S)}
steps=${STEPS:-1000}
pretrain_steps=${PRETRAIN_STEPS:-600}
cse_steps=${CSE_STEPS:-30}
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

step "in-domain data: fortunes as a labelled CSV, and its training texts alone as pretraining text"
prep fetch fortunes
prep labels --corpus fortunes --out "$run/fortunes.csv" --train-texts "$run/fortunes-train"
textssl tokenizer train --input "$run/fortunes-train" --vocab-size 4096 --out "$run/tokenizer"
prep build "$run/fortunes-train" --boundary file --tokenizer "$run/tokenizer" --out "$run/shards" --validation 0.05 --split-seed 1

step "pretrain: next-token (bpe-small, whole documents per sequence), $pretrain_steps steps"
textssl train --task clm --data "$run/shards" --tokenizer "$run/tokenizer" --preset bpe-small --packing documents \
  --steps "$pretrain_steps" --batch-size 16 --lr 2e-3 --min-lr 2e-4 --warmup 50 --eval-every "$pretrain_steps" \
  --eval-batches 20 --log-every 25 --out "$run/fortunes-clm"

step "pretrain: contrastive (SimCSE) on top, $cse_steps steps"
textssl train --task contrastive --init-from "$run/fortunes-clm" --data "$run/shards" --batch-size 32 \
  --steps "$cse_steps" --lr 3e-4 --min-lr 3e-5 --warmup 5 --dropout 0.1 --eval-every "$cse_steps" --eval-batches 10 \
  --log-every 10 --out "$run/fortunes-cse"

step "probe: what the representations are worth with few labels (fortunes, 10 classes)"
textssl probe --model "$run/fortunes-cse" --data "$run/fortunes.csv" --top-classes 10 --samples-per-label 8,32,128 \
  --experiments 2 --features pretrained+tfidf --baselines tfidf,random,supervised --supervised-max-steps 100 \
  --tfidf-features 4000 --out "$run/probe"

step "done"
echo "run directory: $run (Moby-Dick model in moby/, in-domain models in fortunes-clm/ and fortunes-cse/, probe report in probe/report.md)"
