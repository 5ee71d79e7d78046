#!/usr/bin/env bash
# Evaluation cost per image of Fashion-MNIST's SimpleCNN at the default
# data.bs_valid 1000 beside 128, and beside training's cost per image: two
# experiments (one epoch on a few samples, each with its bs_valid) are tested
# with --mode test on the 10,000 test images, rounds alternating. Times are
# whole qlhost runs (start-up included, so evaluation looks no cheaper than
# it is); the training cost is the training pass's images/s from its log.
# Prints a Markdown table and the ratios. A benchmark: it exits 0 whatever.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bench_name=eval_batch.sh
# shellcheck source=bench/common.sh
source "$root/bench/common.sh"

rounds=3 threads=1 build="$root/build"
while (($#)); do
  case "$1" in
    -h|--help)
      echo "usage: bench/eval_batch.sh [--rounds N (3)] [--threads N (1)] [--build DIR]"
      exit 0 ;;
    --rounds) rounds="${2:?}"; shift 2 ;;
    --threads) threads="${2:?}"; shift 2 ;;
    --build) build="${2:?}"; shift 2 ;;
    *) die "$1: unknown option (see --help)" ;;
  esac
done
[[ "$rounds" =~ ^[0-9]+$ && "$rounds" -ge 1 ]] || die "--rounds $rounds: expected a positive integer"
qlhost="$build/qlhost" plugin="$build/problems/libfashionmnist.so"
[[ -x "$qlhost" && -f "$plugin" ]] || die "$qlhost or $plugin: not found; build first (scripts/build)"
log_dir="$(mktemp -d "${TMPDIR:-/tmp}/quantlab-eval.XXXXXX")"
mkdir -p "$log_dir/home"
run() { "$qlhost" --plugin "$plugin" --topology SimpleCNN --home "$log_dir/home" --threads "$threads" "$@"; }

declare -A experiment train_rate
for bs in 1000 128; do
  log="$log_dir/train.bs$bs.log"
  say "training an experiment with data.bs_valid=$bs (log: $log)"
  run --set experiment.n_epochs=1 --set experiment.seed=1 --set data.max_train_samples=5000 \
    --set data.max_valid_samples=1000 --set "data.bs_valid=$bs" >"$log" 2>&1 || die "training failed: $(tail -n 1 "$log")"
  experiment[$bs]="$(sed -n 's/.*experiment exp0*\([0-9][0-9]*\) of problem.*/\1/p' "$log" | head -n 1)"
  # The last progress line of the training pass: "... train [ 40/40]  1234 img/s ...".
  train_rate[$bs]="$(sed -n 's/.* train \[ *[0-9]*\/[0-9]*\] *\([0-9.]*\) img\/s.*/\1/p' "$log" | tail -n 1)"
done

declare -A seconds
for ((round = 1; round <= rounds; ++round)); do
  for bs in 1000 128; do
    log="$log_dir/test.bs$bs.round$round.log"
    say "round $round: --mode test at bs_valid $bs (log: $log)"
    start=$(date +%s.%N)
    run --exp-id "${experiment[$bs]}" --mode test >"$log" 2>&1 || die "test failed: $(tail -n 1 "$log")"
    seconds[$bs]+="$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }') "
  done
done

echo
echo "SimpleCNN, --mode test on 10000 images, $threads thread(s), $rounds round(s), $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
echo "| data.bs_valid | qlhost --mode test, s (median) | per round | ms per image | training ms per image |"
echo "| ---: | ---: | --- | ---: | ---: |"
declare -A per_image
for bs in 1000 128; do
  median_s="$(echo "${seconds[$bs]}" | median)"
  per_image[$bs]="$(awk -v s="$median_s" 'BEGIN { printf "%.4f", s * 1000 / 10000 }')"
  train_ms="$(awk -v r="${train_rate[$bs]}" 'BEGIN { printf "%.4f", 1000 / r }')"
  printf '| %s | %.2f | %s | %s | %s |\n' "$bs" "$median_s" "${seconds[$bs]% }" "${per_image[$bs]}" "$train_ms"
done
echo
train_ms="$(awk -v r="${train_rate[1000]}" 'BEGIN { printf "%.4f", 1000 / r }')"
r="$(ratio "${per_image[1000]}" "$train_ms")"
echo "evaluation at bs 1000 / training, per image = $r   target <= 1.00   $(awk -v r="$r" 'BEGIN { print (r <= 1.0 ? "PASS" : "MISS") }')"
echo "evaluation at bs 1000 / at bs 128, per image = $(ratio "${per_image[1000]}" "${per_image[128]}")   for reference"
