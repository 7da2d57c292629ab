#!/usr/bin/env bash
# Reproduces the label-efficiency results of docs/results/: for `fortunes` (10 largest categories) and
# `spam-assassin`, pretrain a small model with TextSSL on the TRAIN rows of the labelled set only, then probe it.
#
# Stages per dataset (timings go to runs/probe-results/timings.tsv):
#   1. textssl-prep fetch            catalog corpora, verified by sha256
#   2. textssl-prep labels           text,label,split CSV (stratified 80/20 by text hash, exact duplicates dropped)
#      --train-texts DIR              + one .txt per TRAIN row, read back from that CSV: the only pretraining text
#   3. textssl tokenizer train       byte-level BPE on DIR
#   4. textssl-prep build DIR        token shards (near-duplicates dropped; 5% validation). --split-seed 1: the
#                                     labels split uses the same document hash with salt 0, so salt 0 here would
#                                     put (almost) no training text into validation.
#   5. textssl train                 causal LM, preset char-small (4 layers, 4 heads, 128 dims), context 128
#   6. textssl probe                 frozen features + logistic regression vs TF-IDF / random weights / supervised
#
# Test rows never reach stages 3-5: DIR holds exactly the CSV rows whose split is "train", and `textssl probe`
# reads its test rows from the same CSV's split column.
#
# Defaults are sized for 2 shared CPU cores (5-7 minutes of pretraining per dataset) and a reduced probe protocol:
# K = 8,32,128,all; 2 runs per K (the issue's protocol says 10); baselines TF-IDF and
# random weights only (the supervised-from-scratch baseline cost minutes per run here); on fortunes a 4,000-term
# TF-IDF vocabulary. The full protocol:
#   EXPERIMENTS=10 EXPERIMENTS_FORTUNES=10 TFIDF_FORTUNES=20000 BASELINES=tfidf,random,supervised SUPERVISED_STEPS=300 tools/probe-results.sh
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=${OUT:-runs/probe-results}
DATASETS=${DATASETS:-"fortunes spam-assassin"}
VOCAB=${VOCAB:-4096}
PRETRAIN_STEPS=${PRETRAIN_STEPS:-300}
BATCH=${BATCH:-8}
CONTEXT=${CONTEXT:-128}
SAMPLES=${SAMPLES:-8,32,128,all}
EXPERIMENTS=${EXPERIMENTS:-2}
EXPERIMENTS_FORTUNES=${EXPERIMENTS_FORTUNES:-2}
BASELINES=${BASELINES:-tfidf,random}
SUPERVISED_STEPS=${SUPERVISED_STEPS:-100}
THREADS=${THREADS:-2}

mkdir -p "$OUT"
dotnet build TextSSL.sln -c Release -nologo > "$OUT/build.log" 2>&1 || { grep -E " error " "$OUT/build.log"; exit 1; }
textssl() { dotnet src/TextSSL.Cli/bin/Release/net10.0/TextSSL.Cli.dll "$@"; }
prep() { dotnet tools/TextSSL.Prep/bin/Release/net10.0/TextSSL.Prep.dll "$@"; }

mkdir -p "$OUT/data"
timings="$OUT/timings.tsv"
printf 'dataset\tstage\tseconds\n' > "$timings"
stage() { # stage DATASET NAME COMMAND...
  local name=$1 what=$2 start=$SECONDS
  shift 2
  echo "== $name: $what"
  "$@"
  printf '%s\t%s\t%d\n' "$name" "$what" $((SECONDS - start)) | tee -a "$timings"
}

# shellcheck disable=SC2086
stage all fetch prep fetch $DATASETS

for d in $DATASETS; do
  top=()
  runs=$EXPERIMENTS
  # fortunes: 10 classes make the TF-IDF probe's fits far slower than on spam; a 4,000-term vocabulary keeps them
  # within minutes on 2 cores (spam-assassin keeps the default 20,000).
  if [ "$d" = fortunes ]; then top=(--top-classes 10 --tfidf-features "${TFIDF_FORTUNES:-4000}"); runs=$EXPERIMENTS_FORTUNES; fi
  csv="$OUT/data/$d.csv"
  train_txt="$OUT/data/$d-train"
  run="$OUT/$d"
  mkdir -p "$run"

  stage "$d" labels prep labels --corpus "$d" --out "$csv" --train-texts "$train_txt"
  stage "$d" tokenizer textssl tokenizer train --input "$train_txt" --vocab-size "$VOCAB" --threads "$THREADS" --out "$run/tokenizer"
  stage "$d" shards prep build "$train_txt" --boundary file --tokenizer "$run/tokenizer" --out "$run/shards" \
    --validation 0.05 --split-seed 1 --force --threads "$THREADS"
  rm -rf "$run/model"
  stage "$d" pretrain textssl train --task clm --data "$run/shards" --tokenizer "$run/tokenizer" --preset char-small \
    --context "$CONTEXT" --block-size "$CONTEXT" --batch-size "$BATCH" --steps "$PRETRAIN_STEPS" \
    --lr 2e-3 --min-lr 2e-4 --warmup 30 --eval-every "$PRETRAIN_STEPS" --eval-batches 0 --log-every 25 \
    --threads "$THREADS" --out "$run/model"
  stage "$d" probe textssl probe --model "$run/model" --data "$csv" "${top[@]}" \
    --samples-per-label "$SAMPLES" --experiments "$runs" --supervised-max-steps "$SUPERVISED_STEPS" \
    --baselines "$BASELINES" --cache "$OUT/feature-cache" --threads "$THREADS" --out "$run/report"
done

echo "timings ($timings):"
column -t "$timings"
