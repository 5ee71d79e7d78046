#!/usr/bin/env bash
# Epoch time of Fashion-MNIST's SimpleCNN with the data pipeline's worker
# threads against the foundation's loader (data.workers=0: each batch read and
# augmented in the training thread, between steps), side by side in one run;
# rounds alternate the configurations so drift of the machine weighs on all.
# Prints a Markdown table and the ratio (target: workers no slower, >= 1.0).
# A benchmark, not a test: it exits 0 whatever the ratio is.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bench_name=loader_epoch.sh
# shellcheck source=bench/common.sh
source "$root/bench/common.sh"

samples=30000 rounds=3 threads=2 build="$root/build"
while (($#)); do
  case "$1" in
    -h|--help)
      echo "usage: bench/loader_epoch.sh [--samples N (30000)] [--rounds N (3)] [--threads N (2)] [--build DIR]"
      exit 0 ;;
    --samples) samples="${2:?}"; shift 2 ;;
    --rounds) rounds="${2:?}"; shift 2 ;;
    --threads) threads="${2:?}"; shift 2 ;;
    --build) build="${2:?}"; shift 2 ;;
    *) die "$1: unknown option (see --help)" ;;
  esac
done
[[ "$samples" =~ ^[0-9]+$ && "$samples" -ge 1000 ]] || die "--samples $samples: expected an integer >= 1000"
[[ "$rounds" =~ ^[0-9]+$ && "$rounds" -ge 1 ]] || die "--rounds $rounds: expected a positive integer"
qlhost="$build/qlhost" plugin="$build/problems/libfashionmnist.so"
[[ -x "$qlhost" && -f "$plugin" ]] || die "$qlhost or $plugin: not found; build first (scripts/build)"
log_dir="$(mktemp -d "${TMPDIR:-/tmp}/quantlab-loader.XXXXXX")"
mkdir -p "$log_dir/home"

# name|data.workers
configurations=("foundation's loader (workers 0)|0" "pipeline, 1 worker|1" "pipeline, 2 workers|2")
declare -A seconds
for ((round = 1; round <= rounds; ++round)); do
  for configuration in "${configurations[@]}"; do
    IFS='|' read -r name workers <<<"$configuration"
    log="$log_dir/workers$workers.round$round.log"
    say "round $round: $name (log: $log)"
    "$qlhost" --plugin "$plugin" --topology SimpleCNN --home "$log_dir/home" --threads "$threads" \
      --set experiment.n_epochs=1 --set experiment.seed=1 --set data.augment=true \
      --set "data.max_train_samples=$samples" --set data.max_valid_samples=1000 \
      --set "data.workers=$workers" >"$log" 2>&1 || die "$name failed: $(tail -n 1 "$log")"
    # The epoch line: "fold 0 epoch 1/1 done in 12.3 s | ..." (training pass + 1000 validation samples).
    time_s="$(sed -n 's/.* done in \([0-9.]*\) s |.*/\1/p' "$log" | tail -n 1)"
    [[ -n "$time_s" ]] || die "$name: no training time in $log"
    seconds[$name]+="$time_s "
  done
done

echo
echo "SimpleCNN, augmentation on, batch 128, $samples samples, $threads thread(s), $rounds round(s), $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
echo "| loader | epoch, s (median) | per round |"
echo "| --- | ---: | --- |"
declare -A medians
for configuration in "${configurations[@]}"; do
  IFS='|' read -r name _ <<<"$configuration"
  medians[$name]="$(echo "${seconds[$name]}" | median)"
  printf '| %s | %.2f | %s |\n' "$name" "${medians[$name]}" "${seconds[$name]% }"
done
echo
for name in "pipeline, 1 worker" "pipeline, 2 workers"; do
  speedup="$(ratio "${medians[foundation\'s loader (workers 0)]}" "${medians[$name]}")"
  echo "workers 0 time / $name time = $speedup   target >= 1.00   $(awk -v r="$speedup" 'BEGIN { print (r >= 1.0 ? "PASS" : "MISS") }')"
done
