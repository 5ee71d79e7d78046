#!/usr/bin/env bash
# Data-parallel scaling of issue 4: training throughput of Fashion-MNIST's
# SimpleCNN through qlhost on 1 rank and under `mpirun -np 2`, side by side
# in one run (rounds alternate the configurations, so drift of the machine
# weighs on all of them), plus the share of step time rank 0 waited on the
# gradient all-reduce. Prints one Markdown table and the ratios:
#   2 ranks x 1 thread / 1 rank x 1 thread    target >= 1.8 (per-core scaling)
#   2 ranks x 1 thread / 1 rank x 2 threads   for reference (all cores either way)
# A benchmark, not a test: it exits 0 whatever the ratios are.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

usage() {
  cat <<EOF
usage: bench/data_parallel.sh [options]
  --samples N      training samples per epoch (default 20000; Fashion-MNIST has 60000)
  --rounds N       rounds over every configuration (default 2); medians are reported
  --bucket-mb X    training.distributed.bucket_mb for the 2-rank runs (default: the config's, 4)
  --build DIR      build folder holding qlhost and problems/libfashionmnist.so (default: $root/build)
  --log-dir DIR    where each run's output goes (default: a new folder under \${TMPDIR:-/tmp})
EOF
}

bench_name=data_parallel.sh
# shellcheck source=bench/common.sh
source "$root/bench/common.sh"

samples=20000 rounds=2 bucket_mb="" build="$root/build" log_dir=""
while (($#)); do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --samples|--rounds|--bucket-mb|--build|--log-dir)
      (($# >= 2)) || die "$1: expected a value"
      case "$1" in
        --samples) samples="$2" ;;
        --rounds) rounds="$2" ;;
        --bucket-mb) bucket_mb="$2" ;;
        --build) build="$2" ;;
        --log-dir) log_dir="$2" ;;
      esac
      shift 2 ;;
    *) usage >&2; die "$1: unknown option" ;;
  esac
done
[[ "$samples" =~ ^[0-9]+$ && "$samples" -ge 1000 ]] || die "--samples $samples: expected an integer >= 1000"
[[ "$rounds" =~ ^[0-9]+$ && "$rounds" -ge 1 ]] || die "--rounds $rounds: expected a positive integer"
[[ -z "$bucket_mb" || "$bucket_mb" =~ ^[0-9]*\.?[0-9]+$ ]] || die "--bucket-mb $bucket_mb: expected a positive number"

qlhost="$build/qlhost"
plugin="$build/problems/libfashionmnist.so"
[[ -x "$qlhost" ]] || die "$qlhost: not found; build it first (scripts/build, or --build DIR)"
[[ -f "$plugin" ]] || die "$plugin: not found; build the fashionmnist plugin first (or --build DIR)"
command -v mpirun >/dev/null || die "mpirun: not found (scripts/install-deps installs OpenMPI)"
[[ -n "$log_dir" ]] || log_dir="$(mktemp -d "${TMPDIR:-/tmp}/quantlab-data-parallel.XXXXXX")"
mkdir -p "$log_dir"
home="$log_dir/home"
mkdir -p "$home"

# One epoch, no augmentation (the same work on every rank count), a small
# validation set: the timed part is the training pass.
common=(--plugin "$plugin" --topology SimpleCNN --home "$home"
        --set experiment.n_epochs=1 --set experiment.seed=1 --set data.augment=false
        --set "data.max_train_samples=$samples" --set data.max_valid_samples=1000)
[[ -n "$bucket_mb" ]] && common+=(--set "training.distributed.bucket_mb=$bucket_mb")
mpirun_flags=(-np 2)
[[ "$(id -u)" == 0 ]] && mpirun_flags+=(--allow-run-as-root)

# name|ranks|threads|extra overrides
configurations=(
  "1 rank x 1 thread|1|1|"
  "1 rank x 2 threads|1|2|"
  "2 ranks x 1 thread|2|1|"
  "2 ranks x 1 thread, no overlap|2|1|training.distributed.overlap=false"
)

declare -A rates waits
run_one() {
  local name="$1" ranks="$2" threads="$3" extra="$4" round="$5" log rate wait
  log="$log_dir/$(echo "$name" | tr -c 'a-z0-9\n' '_').round$round.log"
  local arguments=("$qlhost" "${common[@]}" --threads "$threads")
  [[ -n "$extra" ]] && arguments+=(--set "$extra")
  ((ranks > 1)) && arguments=(mpirun "${mpirun_flags[@]}" "${arguments[@]}")
  say "round $round: $name (log: $log)"
  "${arguments[@]}" >"$log" 2>&1 || die "$name failed: $(tail -n 1 "$log")"
  # The training pass's last progress line: global images per second.
  rate="$(grep ' train \[' "$log" | tail -n 1 | sed -n 's/.*\] *\([0-9.]*\) img\/s.*/\1/p')"
  [[ -n "$rate" ]] || die "$name: no img/s in $log"
  wait="$(sed -n 's/.*waited on gradient all-reduce \([0-9.]*\)% of its step time.*/\1/p' "$log" | tail -n 1)"
  rates[$name]+="$rate "
  waits[$name]+="${wait:--} "
}

for ((round = 1; round <= rounds; ++round)); do
  for configuration in "${configurations[@]}"; do
    IFS='|' read -r name ranks threads extra <<<"$configuration"
    run_one "$name" "$ranks" "$threads" "$extra" "$round"
  done
done


echo
echo "SimpleCNN, batch 128 per rank, $samples samples, $rounds round(s), $(nproc) core(s), $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
echo "| configuration | img/s (median) | img/s per round | all-reduce wait, % of step time (rank 0) |"
echo "| --- | ---: | --- | ---: |"
declare -A medians
for configuration in "${configurations[@]}"; do
  IFS='|' read -r name _ <<<"$configuration"
  medians[$name]="$(echo "${rates[$name]}" | median)"
  printf '| %s | %.0f | %s | %s |\n' "$name" "${medians[$name]}" "${rates[$name]% }" "$(echo "${waits[$name]}" | median)"
done
echo
speedup="$(ratio "${medians[2 ranks x 1 thread]}" "${medians[1 rank x 1 thread]}")"
verdict="$(awk -v r="$speedup" 'BEGIN { print (r >= 1.8 ? "PASS" : "MISS") }')"
echo "2 ranks x 1 thread / 1 rank x 1 thread  = $speedup   target >= 1.80   $verdict"
echo "2 ranks x 1 thread / 1 rank x 2 threads = $(ratio "${medians[2 ranks x 1 thread]}" "${medians[1 rank x 2 threads]}")   for reference"
echo "overlap / no overlap (2 ranks)          = $(ratio "${medians[2 ranks x 1 thread]}" "${medians[2 ranks x 1 thread, no overlap]}")   for reference"
