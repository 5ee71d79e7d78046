#!/usr/bin/env bash
# The accuracy experiment: a Fashion-MNIST topology (SimpleCNN unless
# --topology says another) trained in fp32 (configs/fashionmnist/T.fp32.yaml,
# else T.yaml) and in each quantized variant (T.<variant>.yaml) through qlhost,
# each experiment tested on the test set, then one Markdown table: variant,
# start, epochs, wall time, model size at its bit-widths (qlhost summary),
# test top-1 accuracy, delta vs fp32. A variant whose config has
# network.pretrained starts from the fp32 experiment's best checkpoint, one
# with training.distill learns from that experiment as its teacher; the
# others train from scratch.
#
# Progress goes to stderr, the table to stdout; each qlhost run's output is
# kept in the log folder.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
all_variants="pact-w8a8 pact-w4a4 lsq-w4a4 tqt-w4a4 inq-ternary ana-ternary binary-w1a1 pact-w8a8-kd lsq-w4a4-kd tqt-w4a4-kd inq-ternary-kd"

usage() {
  cat <<EOF
usage: bench/accuracy.sh [options]
  --home DIR        QuantLab home for qlhost (default: \$QUANTLAB_HOME, else the current folder)
  --topology T      the Fashion-MNIST topology (default: SimpleCNN; its variants are T.<variant>.yaml)
  --threads N       intra-op threads for qlhost (default: qlhost's, all cores)
  --epochs N        override experiment.n_epochs of every config (quick runs; schedules
                    inside the configs are not rescaled)
  --set KEY=VALUE   extra override for every training run, e.g. data.max_train_samples=512 (repeatable)
  --variants LIST   quantized variants to run, comma-separated (default: all:
                    ${all_variants// /,}); "none" runs fp32 only
  --fp32-exp N      reuse fp32 experiment N of this home (trained) instead of training one
  --build DIR       build folder holding qlhost and problems/libfashionmnist.so (default: $root/build)
  --configs DIR     folder of T.<variant>.yaml (default: $root/configs/fashionmnist)
  --log-dir DIR     where each run's output goes (default: a new folder under \${TMPDIR:-/tmp})
  --integer         also test each quantized variant's integer network (qlhost --mode test --integer):
                    two more columns, its accuracy and its difference to the fake-quantized one
EOF
}

bench_name=accuracy.sh
# shellcheck source=bench/common.sh
source "$root/bench/common.sh"

home="" threads="" epochs="" fp32_exp="" log_dir="" integer="" topology=SimpleCNN
build="$root/build" configs="$root/configs/fashionmnist" variants="$all_variants"
overrides=()
while (($#)); do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --integer) integer=1; shift ;;
    --home|--topology|--threads|--epochs|--set|--variants|--fp32-exp|--build|--configs|--log-dir)
      (($# >= 2)) || die "$1: expected a value"
      case "$1" in
        --home) home="$2" ;;
        --topology) topology="$2" ;;
        --threads) threads="$2" ;;
        --epochs) epochs="$2" ;;
        --set) overrides+=(--set "$2") ;;
        --variants) variants="${2//,/ }"; [[ "$variants" == none ]] && variants="" ;;
        --fp32-exp) fp32_exp="$2" ;;
        --build) build="$2" ;;
        --configs) configs="$2" ;;
        --log-dir) log_dir="$2" ;;
      esac
      shift 2 ;;
    *) usage >&2; die "$1: unknown option" ;;
  esac
done
for pair in "threads:$threads" "epochs:$epochs" "fp32-exp:$fp32_exp"; do
  value="${pair#*:}"
  [[ -z "$value" || "$value" =~ ^[0-9]+$ ]] || die "--${pair%%:*} $value: expected a non-negative integer"
done
[[ -z "$threads" || "$threads" -ge 1 ]] || die "--threads 0: expected a positive integer"
[[ -z "$epochs" || "$epochs" -ge 1 ]] || die "--epochs 0: expected a positive integer"

qlhost="$build/qlhost"
plugin="$build/problems/libfashionmnist.so"
[[ -x "$qlhost" ]] || die "$qlhost: not found; build it first (scripts/build, or --build DIR)"
[[ -f "$plugin" ]] || die "$plugin: not found; build the fashionmnist plugin first (or --build DIR)"
# The config of a variant ("fp32": T.fp32.yaml, else T.yaml).
config_of() {
  if [[ "$1" == fp32 && ! -f "$configs/$topology.fp32.yaml" ]]; then
    echo "$configs/$topology.yaml"
  else
    echo "$configs/$topology.$1.yaml"
  fi
}
for variant in fp32 $variants; do
  [[ -f "$(config_of "$variant")" ]] || die "$(config_of "$variant"): no config for variant $variant"
done
[[ -n "$log_dir" ]] || log_dir="$(mktemp -d "${TMPDIR:-/tmp}/quantlab-accuracy.XXXXXX")"
mkdir -p "$log_dir"

common=(--plugin "$plugin" --topology "$topology")
[[ -n "$home" ]] && common+=(--home "$home")
[[ -n "$threads" ]] && common+=(--threads "$threads")
train_overrides=("${overrides[@]}")
[[ -n "$epochs" ]] && train_overrides+=(--set "experiment.n_epochs=$epochs")

# Whether a config's section $2 (network, training) has key $3 (pretrained,
# distill) set to a map, not null. A config without the key inherits it from
# its `base:` config, as qlhost's config loader merges them.
wants() {
  local file="$1" section="$2" key="$3" base status
  while :; do
    status=0
    awk -v section="$section" -v key="$key" '
      /^[^[:space:]#]/ { in_section = ($0 ~ "^" section ":") }
      in_section && $0 ~ "^[[:space:]]+" key ":" {
        value = $0; sub("^[[:space:]]+" key ":[[:space:]]*", "", value); sub(/[[:space:]]*#.*/, "", value)
        said = (value == "null" || value == "~" || value == "{}") ? 1 : 0
      }
      END { exit said == "" ? 2 : said }' "$file" || status=$?
    ((status != 2)) && return "$status"
    base="$(sed -n 's/^base:[[:space:]]*["'\'']\{0,1\}\([^"'\''#[:space:]]*\).*/\1/p' "$file" | head -n 1)"
    [[ -n "$base" ]] || return 1
    file="$(dirname "$file")/$base"
    [[ -f "$file" ]] || return 1
  done
}

clock() { printf '%d:%02d:%02d' $(($1 / 3600)) $(($1 / 60 % 60)) $(($1 % 60)); }

# Trains one config; sets run_id and run_seconds, or returns 1.
train() {
  local variant="$1"; shift
  local log="$log_dir/$variant.train.log" start
  say "training $variant (log: $log)"
  start=$(date +%s)
  if ! "$qlhost" "${common[@]}" --config "$(config_of "$variant")" "${train_overrides[@]}" "$@" \
       >"$log" 2>&1; then
    say "$variant: training failed: $(tail -n 1 "$log")"
    return 1
  fi
  run_seconds=$(($(date +%s) - start))
  run_id="$(grep -o 'experiment exp[0-9]* of problem' "$log" | head -n 1 | grep -o '[0-9][0-9]*' || true)"
  [[ -n "$run_id" ]] || { say "$variant: no experiment id in $log"; return 1; }
  run_id=$((10#$run_id))
}

# Tests experiment $2 (the variant $1); prints its test top-1 error in percent,
# and with --integer for a quantized variant, the integer network's after it.
test_error() {
  local log="$log_dir/$1.test.log" mode=(--mode test)
  [[ -n "$integer" && "$1" != fp32 ]] && mode+=(--integer)
  say "testing $1 (experiment $2; log: $log)"
  "$qlhost" "${common[@]}" --exp-id "$2" "${mode[@]}" >"$log" 2>&1 || { say "$1: test failed: $(tail -n 1 "$log")"; return 1; }
  sed -n 's/.*test fold 0 (.*).*top1_error \([0-9.eE+-]*\).*/\1/p' "$log" | head -n 1 | grep . ||
    { say "$1: no top1_error in $log"; return 1; }
  if ((${#mode[@]} > 2)); then
    sed -n 's/.*test fold 0 integer network:.* top1_error \([0-9.eE+-]*\).* | fake-quantized.*/\1/p' "$log" |
      head -n 1 | grep . || { say "$1: no integer top1_error in $log"; return 1; }
  fi
}

# The experiment's folder, as qlhost names it in the run's log $1.
experiment_dir() {
  sed -n "s/.*topology $topology: \(train\|test\) in \(.*\)\$/\2/p" "$1" | head -n 1
}

# The model size in KiB at its bit-widths, as qlhost summary counts it for
# the experiment whose run's log is $1 ("?" when it cannot say).
model_kib() {
  local dir bytes
  dir="$(experiment_dir "$1")"
  [[ -n "$dir" && -f "$dir/config.yaml" ]] || { echo "?"; return; }
  bytes="$("$qlhost" summary --plugin "$plugin" --topology "$topology" --config "$dir/config.yaml" \
            --set network.pretrained=null --set training.distill=null ${home:+--home "$home"} 2>/dev/null |
           sed -n 's/.*model size \([0-9,]*\) bytes.*/\1/p' | tail -n 1 | tr -d ,)"
  [[ -n "$bytes" ]] && awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1024 }' || echo "?"
}

# n_epochs as the experiment's own config.yaml says (after overrides), found
# through the folder qlhost names in the run's log $1.
experiment_epochs() {
  local dir
  dir="$(experiment_dir "$1")"
  if [[ -n "$dir" && -f "$dir/config.yaml" ]]; then
    sed -n 's/^[[:space:]]*n_epochs:[[:space:]]*\([0-9]*\).*/\1/p' "$dir/config.yaml" | head -n 1
  else
    echo "${epochs:-?}"
  fi
}

rows=()
failed=0
fp32_accuracy=""
row() {  # variant start epochs seconds "error [integer-error]" id
  local accuracy delta time integer_columns=""
  local -a errors
  read -r -a errors <<<"${5//$'\n'/ }"
  set -- "$1" "$2" "$3" "$4" "${errors[0]:-}" "$6"
  if [[ -n "$integer" ]]; then
    if [[ -n "${errors[1]:-}" ]]; then
      integer_columns="$(awk -v e="${errors[0]}" -v i="${errors[1]}" 'BEGIN { printf " %.2f%% | %+.2f |", 100 - i, e - i }')"
    else
      integer_columns=" | |"
    fi
  fi
  if [[ -z "$5" ]]; then
    rows+=("| $1 | $2 | ${3:-?} | ${4:+$(clock "$4")} | | failed (logs in $log_dir) | |${integer:+ | |} ${6:+exp$(printf %04d "$6")} |")
    failed=1
    return
  fi
  accuracy="$(awk -v e="$5" 'BEGIN { printf "%.2f", 100 - e }')"
  [[ "$1" == fp32 ]] && fp32_accuracy="$accuracy"
  delta=""
  [[ -n "$fp32_accuracy" ]] && delta="$(awk -v a="$accuracy" -v f="$fp32_accuracy" 'BEGIN { printf "%+.2f", a - f }')"
  time="${4:+$(clock "$4")}"
  rows+=("| $1 | $2 | $3 | ${time:-(earlier run)} | $(model_kib "$log_dir/$1.test.log") | $accuracy% | $delta |$integer_columns exp$(printf %04d "$6") |")
}

# fp32 first: the quantized variants that start from trained weights need its id.
if [[ -n "$fp32_exp" ]]; then
  fp32_id="$fp32_exp"
  error="$(test_error fp32 "$fp32_id")" || die "fp32 experiment $fp32_id could not be tested"
  row fp32 scratch "$(experiment_epochs "$log_dir/fp32.test.log")" "" "$error" "$fp32_id"
elif train fp32; then
  fp32_id="$run_id"
  error="$(test_error fp32 "$fp32_id")" || error=""
  row fp32 scratch "$(experiment_epochs "$log_dir/fp32.train.log")" "$run_seconds" "$error" "$fp32_id"
else
  fp32_id=""
  row fp32 scratch "$epochs" "" "" ""
fi

for variant in $variants; do
  config="$(config_of "$variant")"
  extra=() start=scratch
  if wants "$config" training distill; then
    [[ -n "$fp32_id" ]] || { say "$variant: skipped, it distils from the fp32 run, which failed"; row "$variant" "" "$epochs" "" "" ""; continue; }
    extra+=(--set "training.distill.teacher.exp_id=$fp32_id")
  fi
  if wants "$config" network pretrained; then
    start="fp32 weights (exp$(printf %04d "${fp32_id:-0}"))"
    if [[ -z "$fp32_id" ]]; then
      say "$variant: skipped, it starts from fp32 weights and the fp32 run failed"
      row "$variant" "fp32 weights" "$epochs" "" "" ""
      continue
    fi
    extra+=(--set "network.pretrained.exp_id=$fp32_id")
  fi
  wants "$config" training distill && start="$start, taught by exp$(printf %04d "$fp32_id")"
  if train "$variant" "${extra[@]}"; then
    error="$(test_error "$variant" "$run_id")" || error=""
    row "$variant" "$start" "$(experiment_epochs "$log_dir/$variant.train.log")" "$run_seconds" "$error" "$run_id"
  else
    row "$variant" "$start" "$epochs" "" "" ""
  fi
done

if [[ -n "$integer" ]]; then
  echo "| variant | start | epochs | wall time (train) | model KiB | test top-1 accuracy | delta vs fp32 | integer path | integer - fake-quantized | experiment |"
  echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
else
  echo "| variant | start | epochs | wall time (train) | model KiB | test top-1 accuracy | delta vs fp32 | experiment |"
  echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |"
fi
printf '%s\n' "${rows[@]}"
say "logs of every run: $log_dir"
exit "$failed"
