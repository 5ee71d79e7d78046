#pragma once
// How one process computes on the CPU: intra-op threads for LibTorch and the
// BLAS underneath it, and an allocator that keeps training's buffers.
namespace quantlab {

// Sets LibTorch's intra-op threads and the BLAS library's threads to
// `threads` (Debian's OpenBLAS keeps its own pool, which otherwise spins on
// every core beside LibTorch's threads and, with several ranks per machine,
// on the other ranks' cores), and keeps freed memory in the heap: a training
// step frees and reallocates the same large activations every batch, and
// glibc's defaults return them to the kernel each time, so every step pays
// for page faults over tens of megabytes (a third of a SimpleCNN step here).
// Call once, early, in any process that trains (qlhost, benchmarks).
void configure_compute(int threads);

// The BLAS library's thread count as it reports it; 0 when it has no such call.
int blas_threads();

}  // namespace quantlab
