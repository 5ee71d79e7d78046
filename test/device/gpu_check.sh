#!/usr/bin/env bash
# The GPU check: runs on a lent GPU machine (one H100/H200, its PyTorch 2.11
# at /opt/torch/.venv, no Debian libraries of ours, no internet) from the
# repository root, with build-gpu-bundle/ (test/device/make-bundle) carried:
#   (i)   the CUDA test cases of our Catch2 binaries ($CUDA_TEST_FILTER)
#   (ii)  Fashion-MNIST SimpleCNN PACT W8A8, two epochs from scratch through
#         qlhost on cuda and on cpu, same seed: validation accuracies within
#         $ACCURACY_TOLERANCE points
#   (iii) bench/gpu_train.sh: ResNet-18 training images/s, ours vs PyTorch,
#         fp32 and LSQ W4A4, AMP off and bf16 (qlhost's training.amp=bf16:
#         QLHOST_EXTRA_ARGS below)
# Everything goes to $OUT (default: ./gpu-check-out): gpu_check.log,
# summary.md, per-part logs, the tests' JUnit XML, the bench tables.
# Exit status: 0 all parts passed, 1 a part failed, 2 no GPU / the machine's
# torch is not the bundle's / the bundle is missing or broken.
#
#   test/device/gpu_check.sh [--dry-run] [--rehearse TORCH_DIR] [--parts tests,fmnist,bench]
#                            [--bundle DIR] [--python EXE]
#
# --dry-run (any machine, no GPU needed): checks the bundle is complete and
# its libraries resolve with ldd (LibTorch's and CUDA's, which the GPU
# machine's torch provides, excepted), then exits.
# --rehearse TORCH_DIR (no GPU needed): every part with the bundle's binaries
# and LibTorch from TORCH_DIR (a torch package folder of the bundle's version,
# e.g. make-bundle's unpacked wheel), "cuda" runs on the cpu with small sizes:
# tries the plumbing, proves nothing about CUDA.
set -uo pipefail

# --- What the other branches name; change here --------------------------------
# Catch2 test spec of the CUDA test cases, and the test binaries to run it on.
CUDA_TEST_FILTER="${CUDA_TEST_FILTER:-[cuda]}"
TEST_BINARIES=(quantlab_tests)
# How qlhost is told the device and AMP (the lead's experiment.device and
# training.amp; --device is the command-line form of the former). Each may be
# given in the environment as words, e.g. QLHOST_CUDA_ARGS="--set experiment.device=cuda".
read -ra QLHOST_CUDA_ARGS <<<"${QLHOST_CUDA_ARGS-"--device cuda"}"
read -ra QLHOST_CPU_ARGS <<<"${QLHOST_CPU_ARGS-"--device cpu"}"
read -ra QLHOST_EXTRA_ARGS <<<"${QLHOST_EXTRA_ARGS-}"  # e.g. "--set training.amp=bf16"
ACCURACY_TOLERANCE=0.5          # points of validation accuracy, cuda vs cpu
FMNIST_ARGS=()                  # more qlhost arguments for both Fashion-MNIST runs
# Time limits per part (seconds); the whole check must stay under 8 minutes.
TESTS_TIMEOUT=100
FMNIST_CUDA_TIMEOUT=80
FMNIST_CPU_TIMEOUT=130
BENCH_TIMEOUT=140
BENCH_ARGS=(--batch 128 --image 224 --classes 1000 --steps 30 --warmup 5 --round 5 --amp "off,bf16")

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bundle="$root/build-gpu-bundle"
python="${QUANTLAB_GPU_PYTHON:-}"
dry_run=0
rehearse=""
parts="tests,fmnist,bench"
while (($#)); do
  case "$1" in
    --dry-run) dry_run=1; shift ;;
    --rehearse) rehearse="$(cd "$2" && pwd)"; shift 2 ;;
    --parts) parts="$2"; shift 2 ;;
    --bundle) bundle="$(cd "$2" && pwd)"; shift 2 ;;
    --python) python="$2"; shift 2 ;;
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "gpu_check: $1: unknown option (--help)" >&2; exit 2 ;;
  esac
done

started=$SECONDS
out="${OUT:-$root/gpu-check-out}"
mkdir -p "$out"
exec > >(tee -a "$out/gpu_check.log") 2>&1
say() { echo "gpu_check: $*"; }
stop() { say "$2"; echo "| setup | FAIL | $((SECONDS - started)) s | $2 |" >>"$out/summary.md"; exit "$1"; }
echo "| part | result | time | note |" >"$out/summary.md"
echo "| ---- | ------ | ---: | ---- |" >>"$out/summary.md"
say "started $(date -u +%Y-%m-%dT%H:%M:%SZ) on ${HOSTNAME:-?} in $root; output in $out"

# --- The bundle ------------------------------------------------------------------
[ -f "$bundle/BUNDLE-INFO" ] || stop 2 "no bundle at $bundle (run test/device/make-bundle here and carry build-gpu-bundle)"
cat "$bundle/BUNDLE-INFO"
bundle_torch="$(sed -n 's/^torch_version=//p' "$bundle/BUNDLE-INFO")"
bundle_cuda="$(sed -n 's/^torch_cuda=//p' "$bundle/BUNDLE-INFO")"
source_link="$(sed -n 's/^source_link=//p' "$bundle/BUNDLE-INFO")"
build_link="$(sed -n 's/^build_link=//p' "$bundle/BUNDLE-INFO")"
# A test binary make-bundle compressed (the bundle's size limit) is unpacked
# beside the output, not into the bundle; LD_LIBRARY_PATH finds its libraries.
declare -A binary_path=()
for binary in "${TEST_BINARIES[@]}"; do
  binary_path[$binary]="$bundle/$binary"
  if [ ! -e "$bundle/$binary" ] && [ -f "$bundle/$binary.xz" ]; then
    unpacked_dir="${TMPDIR:-/tmp}/quantlab-gpu-check-bin"
    mkdir -p "$unpacked_dir"
    if command -v xz >/dev/null; then
      xz -dc "$bundle/$binary.xz" >"$unpacked_dir/$binary"
    else
      python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' \
        "$bundle/$binary.xz" "$unpacked_dir/$binary"
    fi || stop 2 "cannot unpack $bundle/$binary.xz"
    chmod +x "$unpacked_dir/$binary"
    binary_path[$binary]="$unpacked_dir/$binary"
  fi
done
mapfile -t elves < <(find "$bundle" -type f \( -name '*.so*' -o -perm -u+x \) ! -name '*.gz' ! -name '*.xz' ! -name BUNDLE-INFO | sort)
for binary in "${TEST_BINARIES[@]}"; do
  [[ "${binary_path[$binary]}" == "$bundle"/* ]] || elves+=("${binary_path[$binary]}")
done
for binary in qlhost bench/quantlab_gpu_train_bench problems/libfashionmnist.so problems/libimagenet.so; do
  [ -e "$bundle/$binary" ] || stop 2 "the bundle lacks $binary (run test/device/make-bundle again)"
done

# LibTorch's and CUDA's libraries are the machine's torch's.
torch_re='^(libtorch|libc10|libcaffe2|libshm|libgomp|libcu|libnv|libnccl|libcudnn|libcupti|libcufile|libcusparse)'
missing_libs() {  # the "not found" sonames of ldd over the bundle, minus those matching $1
  for f in "${elves[@]}"; do ldd "$f" 2>/dev/null; done | awk '/not found/ { print $1 }' | sort -u | grep -Ev "${1:-^$}"
}
export LD_LIBRARY_PATH="$bundle/lib:$bundle/deps${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# The C++ runtime of the bundle only where the machine's is older than the build needs.
if for f in "${elves[@]}"; do ldd "$f" 2>&1; done | grep -q "version .GLIBCXX_\|version .CXXABI_\|version .GCC_"; then
  say "the machine's libstdc++ is older than the bundle needs: using the bundle's (deps-cxx)"
  export LD_LIBRARY_PATH="$bundle/deps-cxx:$LD_LIBRARY_PATH"
fi
# torch 2.11's libtorch.so exports its own copy of std::filesystem (64
# symbols, 2.15's none); listed before libstdc++ in our binaries' needs, it
# would be the one they call, and its remove_all jumps to address 0 (TempDir's
# destructor in the tests). libstdc++ preloaded comes first.
libstdcxx="$(ldd "$bundle/qlhost" 2>/dev/null | awk '$1 == "libstdc++.so.6" && $3 ~ /^\// { print $3 }')"
[ -n "$libstdcxx" ] && export LD_PRELOAD="$libstdcxx${LD_PRELOAD:+:$LD_PRELOAD}"
if for f in "${elves[@]}"; do ldd "$f" 2>&1; done | grep -q "version .GLIBC_2"; then
  for f in "${elves[@]}"; do ldd "$f" 2>&1; done | grep "version .GLIBC_2" | sort -u | head -5
  stop 2 "this machine's glibc ($(ldd --version | head -1)) is older than the bundle needs ($(sed -n 's/^needs_glibc=//p' "$bundle/BUNDLE-INFO"))"
fi

if ((dry_run)); then
  missing="$(missing_libs "$torch_re")"
  if [ -n "$missing" ]; then
    for f in "${elves[@]}"; do
      lacks="$(ldd "$f" 2>/dev/null | awk '/not found/ { print $1 }' | grep -Ev "$torch_re" | paste -sd' ')"
      [ -z "$lacks" ] || say "${f#"$bundle"/} needs $lacks"
    done
    stop 2 "dry run: libraries the bundle needs and does not hold: $(echo "$missing" | paste -sd' ')"
  fi
  # Here the system's own libraries would stand in for missing ones: all but
  # glibc's and the C++ runtime must come from the bundle.
  system_re='^(libc|libm|libdl|libpthread|librt|libresolv|libutil|ld-linux-x86-64|libmvec|libstdc\+\+|libgcc_s)\.so'
  outside="$(for f in "${elves[@]}"; do ldd "$f" 2>/dev/null; done | awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }' |
    sort -u | grep -v " $bundle/" | grep -Ev "$system_re" | grep -Ev "$torch_re")"
  [ -z "$outside" ] || stop 2 "dry run: libraries the bundle lacks (found here only on this machine): $(echo "$outside" | paste -sd' ')"
  say "dry run: ${#elves[@]} binaries and libraries; every library they need resolves, LibTorch's and CUDA's excepted ($(missing_libs | paste -sd' '))"
  say "dry run: bundle $(du -sh "$bundle" | cut -f1), torch $bundle_torch (CUDA $bundle_cuda); passed in $((SECONDS - started)) s"
  echo "| dry run | PASS | $((SECONDS - started)) s | libraries resolve |" >>"$out/summary.md"
  exit 0
fi

# --- The machine: GPU, its torch --------------------------------------------------
gpu_device=cuda
if [ -n "$rehearse" ]; then
  say "REHEARSAL on the cpu with LibTorch from $rehearse: nothing here tests CUDA"
  gpu_device=cpu
  QLHOST_CUDA_ARGS=("${QLHOST_CPU_ARGS[@]}")
  BENCH_ARGS=(--batch 4 --image 64 --classes 10 --steps 2 --warmup 1 --round 1 --amp "off,bf16" --threads 2)
  FMNIST_ARGS=(--set data.max_train_samples=2048 --set data.max_valid_samples=1000)
else
  command -v nvidia-smi >/dev/null && nvidia-smi >"$out/nvidia-smi.txt" 2>&1 || stop 2 "no GPU: nvidia-smi is missing or fails"
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
fi
if [ -z "$python" ]; then
  for candidate in /opt/torch/.venv/bin/python3 python3; do
    command -v "$candidate" >/dev/null && "$candidate" -c 'import torch' 2>/dev/null && { python="$candidate"; break; }
  done
fi
[ -n "$python" ] || stop 2 "no Python with torch found (set QUANTLAB_GPU_PYTHON or --python)"
read -r torch_dir machine_torch machine_cuda gpu < <("$python" -c '
import os, torch
print(os.path.dirname(torch.__file__), torch.__version__, torch.version.cuda,
      torch.cuda.is_available() and torch.cuda.device_count() > 0)') || stop 2 "$python cannot import torch"
if [ -n "$rehearse" ]; then
  say "rehearsal: the reference runs on $python's torch $machine_torch; LibTorch from $rehearse"
  torch_dir="$rehearse"
  machine_torch="$(sed -n "s/^__version__ = '\(.*\)'$/\1/p" "$torch_dir/version.py")"
  machine_cuda="$bundle_cuda"
fi
[ "$gpu" = "True" ] || [ -n "$rehearse" ] || stop 2 "no GPU: torch $machine_torch at $torch_dir sees no CUDA device"
if [ "${machine_torch%%+*}" != "${bundle_torch%%+*}" ] || [ "${machine_cuda%%.*}" != "${bundle_cuda%%.*}" ]; then
  stop 2 "torch mismatch: this machine has torch $machine_torch (CUDA $machine_cuda) at $torch_dir, the bundle was built against $bundle_torch (CUDA $bundle_cuda): rebuild it with test/device/make-bundle --torch-version ${machine_torch%%+*} --cuda $machine_cuda"
fi
nvidia_libs="$(find -L "$(dirname "$torch_dir")/nvidia" -maxdepth 2 -type d -name lib 2>/dev/null | paste -sd:)"
export LD_LIBRARY_PATH="$LD_LIBRARY_PATH:$torch_dir/lib${nvidia_libs:+:$nvidia_libs}"
missing="$(missing_libs)"
[ -z "$missing" ] || stop 2 "the bundle's binaries miss libraries here: $(echo "$missing" | paste -sd' ') (LD_LIBRARY_PATH=$LD_LIBRARY_PATH)"
say "torch $machine_torch (CUDA $machine_cuda) at $torch_dir; python $python; $(nproc) cores"
say "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
say "LD_PRELOAD=${LD_PRELOAD:-}"
"$bundle/qlhost" plugin info "$bundle/problems/libfashionmnist.so" >"$out/plugin-info.txt" 2>&1 ||
  { cat "$out/plugin-info.txt"; stop 2 "qlhost does not start (plugin info failed)"; }
# The tests have the build's source and build folders compiled in; they are
# these links, made again here.
# Not in a rehearsal: here they are make-bundle's links, and the build uses them.
if [ -z "$rehearse" ]; then
  mkdir -p "$(dirname "$source_link")" && ln -sfn "$root" "$source_link" && ln -sfn "$bundle" "$build_link" ||
    say "warning: cannot make $source_link and $build_link: tests that run qlhost or read configs will fail"
fi
say "setup done in $((SECONDS - started)) s"

failed=0
record() {  # part result seconds note
  echo "| $1 | $2 | $3 s | $4 |" >>"$out/summary.md"
  say "part $1: $2 in $3 s${4:+: $4}"
  [ "$2" = PASS ] || failed=1
}
want() { [[ ",$parts," == *",$1,"* ]]; }

# --- (i) CUDA test cases -------------------------------------------------------------
if want tests; then
  for binary in "${TEST_BINARIES[@]}"; do
    t0=$SECONDS
    name="$(basename "$binary")"
    if [ ! -x "${binary_path[$binary]}" ]; then
      record "tests $name" FAIL 0 "the bundle has no $binary (make-bundle --no-tests?)"
      continue
    fi
    listed="$("${binary_path[$binary]}" --list-test-names-only "$CUDA_TEST_FILTER" 2>/dev/null | grep -c . || true)"
    say "(i) $binary: $listed test case(s) match $CUDA_TEST_FILTER"
    if [ "$listed" -eq 0 ]; then
      record "tests $name" FAIL $((SECONDS - t0)) "no test case matches $CUDA_TEST_FILTER"
      continue
    fi
    (cd "$bundle" && timeout -k 5 "$TESTS_TIMEOUT" "${binary_path[$binary]}" "$CUDA_TEST_FILTER" --durations yes \
      -r junit -o "$out/tests-$name.xml") >"$out/tests-$name.log" 2>&1
    status=$?
    # JUnit to the file; the console view of failures from it.
    grep -E "<testcase|<failure|<error" "$out/tests-$name.xml" 2>/dev/null | grep -B1 -E "<failure|<error" | head -40
    cases="$(grep -o 'tests="[0-9]*"' "$out/tests-$name.xml" 2>/dev/null | head -1)"
    failures="$(grep -o 'failures="[0-9]*"' "$out/tests-$name.xml" 2>/dev/null | head -1)"
    if [ "$status" -eq 0 ]; then
      record "tests $name" PASS $((SECONDS - t0)) "$listed cases ($cases $failures) matching $CUDA_TEST_FILTER"
    else
      tail -20 "$out/tests-$name.log"
      note="exit status $status"; [ "$status" -eq 124 ] && note="timed out after $TESTS_TIMEOUT s"
      record "tests $name" FAIL $((SECONDS - t0)) "$note; $cases $failures (tests-$name.xml)"
    fi
  done
fi

# --- (ii) Fashion-MNIST SimpleCNN PACT W8A8, two epochs on cuda and on cpu ------------
# The validation accuracy (percent) of the last epoch summary in a qlhost log.
valid_accuracy() {
  sed -n 's/.*epoch \([0-9]*\)\/\([0-9]*\) done in .*| valid loss [0-9.e+-]*\([^|]*\)|.*/\1 \2 \3/p' "$1" | tail -1 |
    awk '{ for (i = 3; i < NF; i++) {
             if ($i == "top1_error") { printf "%.2f\n", 100 - $(i + 1); exit }
             if ($i == "top1" || $i == "accuracy") { v = $(i + 1); printf "%.2f\n", (v <= 1 ? 100 * v : v); exit } } }'
}
fmnist_run() {  # device timeout args...
  local device="$1" limit="$2"; shift 2
  local home="$work/home-$device"
  mkdir -p "$home"
  "$bundle/qlhost" problem init fashionmnist --home "$home" >"$out/fmnist-$device.log" 2>&1 || return 1
  cp "$bundle"/data/fashion-mnist/*.gz "$home/problems/fashionmnist/data/" || return 1
  timeout -k 5 "$limit" "$bundle/qlhost" --home "$home" --plugin "$bundle/problems/libfashionmnist.so" \
    --topology SimpleCNN --config "$root/configs/fashionmnist/SimpleCNN.pact-w8a8.yaml" \
    --set network.pretrained=null --set experiment.n_epochs=2 --set experiment.seed=1 \
    --set training.lr_scheduler.params.T_max=2 "${FMNIST_ARGS[@]}" "$@" "${QLHOST_EXTRA_ARGS[@]}" \
    >>"$out/fmnist-$device.log" 2>&1
}
if want fmnist; then
  work="$(mktemp -d /tmp/quantlab-gpu-check.XXXXXX)"
  declare -A accuracy=()
  for device in cuda cpu; do
    t0=$SECONDS
    if [ "$device" = cuda ]; then
      fmnist_run cuda "$FMNIST_CUDA_TIMEOUT" "${QLHOST_CUDA_ARGS[@]}"
    else
      fmnist_run cpu "$FMNIST_CPU_TIMEOUT" "${QLHOST_CPU_ARGS[@]}" --threads "$(nproc)"
    fi
    status=$?
    grep "epoch .* done in" "$out/fmnist-$device.log"
    accuracy[$device]="$(valid_accuracy "$out/fmnist-$device.log")"
    if [ "$status" -eq 0 ] && [ -n "${accuracy[$device]}" ]; then
      record "fmnist $device" PASS $((SECONDS - t0)) "validation accuracy ${accuracy[$device]} % after 2 epochs"
    else
      tail -15 "$out/fmnist-$device.log"
      note="exit status $status"; [ "$status" -eq 124 ] && note="timed out after its limit"
      record "fmnist $device" FAIL $((SECONDS - t0)) "$note (fmnist-$device.log)"
    fi
  done
  if [ -n "${accuracy[cuda]}" ] && [ -n "${accuracy[cpu]}" ]; then
    gap="$(awk -v a="${accuracy[cuda]}" -v b="${accuracy[cpu]}" 'BEGIN { d = a - b; printf "%.2f", d < 0 ? -d : d }')"
    if awk -v g="$gap" -v t="$ACCURACY_TOLERANCE" 'BEGIN { exit !(g <= t) }'; then
      record "fmnist cuda vs cpu" PASS 0 "|${accuracy[cuda]} - ${accuracy[cpu]}| = $gap <= $ACCURACY_TOLERANCE points"
    else
      record "fmnist cuda vs cpu" FAIL 0 "|${accuracy[cuda]} - ${accuracy[cpu]}| = $gap > $ACCURACY_TOLERANCE points"
    fi
  else
    record "fmnist cuda vs cpu" FAIL 0 "no accuracy to compare"
  fi
fi

# --- (iii) the benchmark ---------------------------------------------------------------
if want bench; then
  t0=$SECONDS
  timeout -k 5 "$BENCH_TIMEOUT" "$root/bench/gpu_train.sh" --bench "$bundle/bench/quantlab_gpu_train_bench" \
    --plugin "$bundle/problems/libimagenet.so" --configs "$root/configs/imagenet" --python "$python" \
    --device "$gpu_device" "${BENCH_ARGS[@]}" --out "$out/bench"
  status=$?
  if [ "$status" -eq 0 ]; then
    record bench PASS $((SECONDS - t0)) "tables in bench/summary.md (ratios there; targets are reported, not enforced)"
  else
    note="exit status $status"; [ "$status" -eq 124 ] && note="timed out after $BENCH_TIMEOUT s"
    record bench FAIL $((SECONDS - t0)) "$note (bench/ours.log, bench/pytorch.log)"
  fi
fi

echo "| total | $( ((failed)) && echo FAIL || echo PASS) | $((SECONDS - started)) s | |" >>"$out/summary.md"
echo
cat "$out/summary.md"
[ -f "$out/bench/summary.md" ] && cat "$out/bench/summary.md"
say "finished in $((SECONDS - started)) s: $( ((failed)) && echo "a part FAILED" || echo "all parts passed")"
exit "$failed"
