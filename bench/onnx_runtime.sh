#!/usr/bin/env bash
# ONNX Runtime's speed on QuantLab's ONNX export forms (quantlib/deploy/
# OnnxExport.h): SimpleCNN W8A8 at batch 1000 (1x28x28) and ResNet-18 W8A8 at
# batch 16 (3x224x224, synthetic), each as float (the fp32 reference), qdq and
# qop, with 1 and 2 intra-op threads; images/s (median of interleaved rounds,
# bench/python/ort_speed.py) and the ratios qdq / float and qop / float.
#   bench/onnx_runtime.sh [BUILD_DIR] [ROUNDS]
set -euo pipefail
bench_name=onnx_runtime
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/common.sh"
build="${1:-$here/../build}"
rounds="${2:-5}"
python="$(grep -m1 '^QUANTLAB_PYTHON:' "$build/CMakeCache.txt" | cut -d= -f2-)"
[ -x "$python" ] || die "no QUANTLAB_PYTHON in $build/CMakeCache.txt (configure with -DQUANTLAB_PYTHON=...)"
cmake --build "$build" --target bench_onnx_export fashionmnist imagenet >&2 || die "build failed"
models="$build/bench-data/onnx_runtime"
"$build/bench/bench_onnx_export" "$models" >/dev/null || die "export failed"

rate() { "$python" -c 'import json,sys; print(round(json.load(sys.stdin)["images_per_s"][sys.argv[1]], 1))' "$1"; }
echo "ONNX Runtime $("$python" -c 'import onnxruntime; print(onnxruntime.__version__)'), $(date -u +%Y-%m-%d), $(nproc) cores, median of $rounds rounds"
printf '%-14s %6s %7s | %10s %10s %10s | %9s %9s\n' network batch threads float qdq qop qdq/float qop/float
for spec in simplecnn-w8a8:1000 resnet18-w8a8:16; do
  name="${spec%%:*}"; batch="${spec##*:}"
  for threads in 1 2; do
    files=("$models/$name.float.onnx" "$models/$name.qdq.onnx" "$models/$name.qop.onnx")
    json="$("$python" "$here/python/ort_speed.py" --threads "$threads" --batch "$batch" --rounds "$rounds" "${files[@]}")" \
      || die "ort_speed.py failed on $name"
    float="$(rate "${files[0]}" <<<"$json")"; qdq="$(rate "${files[1]}" <<<"$json")"; qop="$(rate "${files[2]}" <<<"$json")"
    printf '%-14s %6s %7s | %10s %10s %10s | %9s %9s\n' "$name" "$batch" "$threads" "$float" "$qdq" "$qop" \
      "$(ratio "$qdq" "$float")" "$(ratio "$qop" "$float")"
  done
done
