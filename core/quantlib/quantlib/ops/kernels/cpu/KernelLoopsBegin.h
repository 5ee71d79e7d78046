// No include guard: opens the compiler options of a fused CPU kernel translation
// unit; close them with KernelLoopsEnd.h. Why: see ElementwiseLoops.h.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC push_options
#pragma GCC optimize("no-trapping-math")
#endif
