// No include guard: closes what KernelLoopsBegin.h opened.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC pop_options
#endif
