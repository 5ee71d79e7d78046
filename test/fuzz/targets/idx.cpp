// An IDX file (plain or gzip), read as the Fashion-MNIST plugin reads its
// images (3 dimensions) and labels (1 dimension).
#include "../FuzzTarget.h"
#include "quantlab/data/Idx.h"

QUANTLAB_FUZZ_TARGET(idx) {
  const auto file = quantlab::fuzz::write_scratch_file("data.idx", {reinterpret_cast<const char*>(data), size});
  for (const int dimensions : {1, 3}) {
    quantlab::fuzz::user_errors_only([&] {
      const torch::Tensor values = quantlab::data::read_idx(file, dimensions);
      if (values.dim() != dimensions) throw std::logic_error("read_idx returned another number of dimensions");
      (void)values.sum().item<std::int64_t>();
    });
  }
}
