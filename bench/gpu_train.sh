#!/usr/bin/env bash
# ResNet-18 training-step throughput on synthetic ImageNet-shaped batches:
# ours (quantlab_gpu_train_bench: the ImageNet plugin's ResNet-18 with the
# LSQ W4A4 recipe of configs/imagenet/ResNet.lsq-w4a4.yaml) and PyTorch's
# (bench/python/gpu_train_reference.py: the same network with composed-op
# LSQ), fp32 and LSQ W4A4, AMP off and bf16, one after the other on the same
# device. Prints both tables, then one table side by side with the ratios:
#   ours QAT / PyTorch QAT (images/s)     target >= 1.3
#   our QAT step / our fp32 step          target <= 1.15
# Exits 0 when both sides ran (whatever the ratios), 1 when a side failed,
# 2 on a usage error. --check makes a missed target exit 3.
#
# Here, on CPU, a logic check with tiny sizes:
#   bench/gpu_train.sh --device cpu --batch 4 --image 64 --steps 2 --warmup 1 --round 1
set -euo pipefail
# shellcheck disable=SC2034  # common.sh's say/die read it
bench_name=gpu_train
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bench/common.sh
source "$root/bench/common.sh"

usage() {
  cat <<EOF
usage: bench/gpu_train.sh [options]
  --bench EXE       our benchmark (default: build/bench/quantlab_gpu_train_bench)
  --plugin LIB      the ImageNet plugin (default: the benchmark's own default)
  --configs DIR     configs/imagenet (default: $root/configs/imagenet)
  --python EXE      Python with torch for the reference (default: \$QUANTLAB_PYTHON, else python3)
  --device D        cuda (default) or cpu
  --amp LIST        off,bf16 (default)
  --batch N         images per step (default 128)
  --image N         image side (default 224)
  --classes N       classes (default 1000)
  --steps N         timed steps per trainee (default 30)
  --warmup N        warm-up steps per trainee (default 5)
  --round N         steps per timed round (default 5)
  --threads N       intra-op threads, both sides (default: each side's)
  --out DIR         keep both sides' logs and JSON and the ratio table (summary.md) here
  --check           exit 3 when a ratio misses its target
EOF
}

bench="$root/build/bench/quantlab_gpu_train_bench"
plugin=""
configs="$root/configs/imagenet"
python="${QUANTLAB_PYTHON:-python3}"
device=cuda amp=off,bf16 batch=128 image=224 classes=1000 steps=30 warmup=5 round=5 threads=""
out="" check=0
while (($#)); do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --check) check=1; shift; continue ;;
  esac
  (($# >= 2)) || die "$1: unknown option or missing value (--help lists them)"
  case "$1" in
    --bench) bench="$2" ;;
    --plugin) plugin="$2" ;;
    --configs) configs="$2" ;;
    --python) python="$2" ;;
    --device) device="$2" ;;
    --amp) amp="$2" ;;
    --batch) batch="$2" ;;
    --image) image="$2" ;;
    --classes) classes="$2" ;;
    --steps) steps="$2" ;;
    --warmup) warmup="$2" ;;
    --round) round="$2" ;;
    --threads) threads="$2" ;;
    --out) out="$2" ;;
    *) die "$1: unknown option (--help lists them)" ;;
  esac
  shift 2
done
[ -x "$bench" ] || die "no benchmark at $bench (build quantlab_gpu_train_bench, or pass --bench)"
command -v "$python" >/dev/null || die "no Python at $python (pass --python)"
if [ -z "$out" ]; then
  out="$(mktemp -d /tmp/quantlab-gpu-train.XXXXXX)"
fi
mkdir -p "$out"

common=(--device "$device" --amp "$amp" --batch "$batch" --image "$image" --classes "$classes"
  --steps "$steps" --warmup "$warmup" --round "$round")
[ -n "$threads" ] && common+=(--threads "$threads")
ours=("$bench" "${common[@]}" --configs "$configs" --json "$out/ours.json")
[ -n "$plugin" ] && ours+=(--plugin "$plugin")

failed=0
say "ours: ${ours[*]}"
if ! "${ours[@]}" >"$out/ours.log" 2>&1; then
  failed=1
  say "ours failed; its output:"
fi
cat "$out/ours.log"
reference=("$python" "$root/bench/python/gpu_train_reference.py" "${common[@]}" --json "$out/pytorch.json")
say "pytorch: ${reference[*]}"
if ! "${reference[@]}" >"$out/pytorch.log" 2>&1; then
  failed=1
  say "pytorch failed; its output:"
fi
cat "$out/pytorch.log"

# The side-by-side table and the ratios, from both JSON files (the Python given
# reads them: it is on every machine this runs on).
set +e
"$python" - "$out" "$check" <<'EOF' | tee "$out/summary.md"
import json, os, sys
out, check = sys.argv[1], sys.argv[2] == "1"
rows = {}
for side in ("ours", "pytorch"):
    path = os.path.join(out, side + ".json")
    if os.path.exists(path):
        for line in open(path):
            if line.strip():
                r = json.loads(line)
                rows[(r["impl"], r["variant"], r["amp"])] = r
if not rows:
    print("no results from either side")
    sys.exit(1)
any_row = next(iter(rows.values()))
print(f"\nResNet-18 training step, batch {any_row['batch']}, {any_row['image']}x{any_row['image']}, "
      f"device {any_row['device']}; images/s (ms/step)\n")
failures = []
print("| variant  | amp  | ours img/s | ours ms | pytorch img/s | pytorch ms | ours / pytorch |")
print("| -------- | ---- | ---------: | ------: | ------------: | ---------: | -------------: |")
amps = sorted({k[2] for k in rows}, key=lambda a: ("off", "bf16").index(a))
def cell(r, key, fmt):
    if r and "error" in r:
        return "failed"
    return format(r[key], fmt) if r else "-"
def timed(r):  # a row with numbers, or None (absent or failed)
    return r if r and "error" not in r else None
for variant in ("fp32", "lsq-w4a4"):
    for amp in amps:
        o_row, p_row = rows.get(("ours", variant, amp)), rows.get(("pytorch", variant, amp))
        if not o_row and not p_row:
            continue
        for side, r in (("ours", o_row), ("pytorch", p_row)):
            if r and "error" in r:
                failures.append(f"{side} {variant} amp={amp}: {r['error']}")
        o, p = timed(o_row), timed(p_row)
        ratio = f"{o['images_per_s'] / p['images_per_s']:.3f}" if o and p else "-"
        print(f"| {variant:<8} | {amp:<4} | {cell(o_row, 'images_per_s', '.1f'):>10} | {cell(o_row, 'step_ms', '.2f'):>7} | "
              f"{cell(p_row, 'images_per_s', '.1f'):>13} | {cell(p_row, 'step_ms', '.2f'):>10} | {ratio:>14} |")
print()
for failure in failures:
    print("failed:", failure)
missed = 0
for amp in amps:
    oq, of, pq, pf = (timed(rows.get(k)) for k in (("ours", "lsq-w4a4", amp), ("ours", "fp32", amp),
                                            ("pytorch", "lsq-w4a4", amp), ("pytorch", "fp32", amp)))
    if oq and pq:
        r = oq["images_per_s"] / pq["images_per_s"]
        ok = r >= 1.3
        missed += not ok
        print(f"amp {amp:<4}  ours QAT / PyTorch QAT (images/s)   = {r:.3f}   target >= 1.30   {'PASS' if ok else 'MISS'}")
    if oq and of:
        r = oq["step_ms"] / of["step_ms"]
        ok = r <= 1.15
        missed += not ok
        print(f"amp {amp:<4}  our QAT step / our fp32 step        = {r:.3f}   target <= 1.15   {'PASS' if ok else 'MISS'}")
    if pq and pf:
        print(f"amp {amp:<4}  PyTorch QAT step / PyTorch fp32 step = {pq['step_ms'] / pf['step_ms']:.3f}   for reference")
sys.exit(3 if check and missed else 0)
EOF
status=${PIPESTATUS[0]}
set -e
((failed)) && exit 1
exit "$status"
