#include "quantlib/deploy/Integerize.h"

#include <cmath>

#include <torch/torch.h>

#include "quantlib/deploy/integerize/Builder.h"
#include "quantlib/deploy/integerize/Trace.h"

namespace quantlib::deploy {

using detail::fail;
using torch::Tensor;

namespace {

class RestoreTraining {
 public:
  explicit RestoreTraining(torch::nn::Module& network) : network_(network), training_(network.is_training()) {}
  ~RestoreTraining() { network_.train(training_); }
  RestoreTraining(const RestoreTraining&) = delete;
  RestoreTraining& operator=(const RestoreTraining&) = delete;

 private:
  torch::nn::Module& network_;
  bool training_;
};

}  // namespace

InputQuantization infer_input_quantization(const torch::Tensor& samples, int64_t bits) {
  TORCH_CHECK(bits >= 2 && bits <= 16, "infer_input_quantization: bits in [2, 16], got ", bits);
  if (!samples.defined() || samples.numel() == 0) fail("no input samples to derive the input's quantization from");
  const Tensor flat = samples.detach().to(torch::kDouble).flatten();
  const Tensor values = std::get<0>(torch::_unique(flat, /*sorted=*/true));
  const double low = values[0].item<double>();
  const double high = values[-1].item<double>();
  if (!(high > low)) fail("the input samples are constant; cannot derive the input's quantization");
  const int64_t levels = detail::pow2(bits) - 1;
  double step = (high - low) / static_cast<double>(levels);
  if (values.numel() > 1) {
    // Fewer distinct values than levels (a small sample): their own grid, if they sit on one.
    const double gap = (values.slice(0, 1) - values.slice(0, 0, -1)).min().item<double>();
    const double grid = (high - low) / std::round((high - low) / gap);
    const Tensor offsets = (values - low) / grid;
    if (grid > step && (offsets - offsets.round()).abs().max().item<double>() < 1e-3) step = grid;
  }
  InputQuantization input;
  input.step = step;
  input.bits = bits;
  const int64_t zero = static_cast<int64_t>(std::llround(-low / step));
  input.lo = -zero;
  input.hi = levels - zero;
  return input;
}

IntegerNetwork integerize(torch::nn::Module& network, const Forward& forward, const torch::Tensor& example_input,
                          const InputQuantization& input) {
  TORCH_CHECK(std::isfinite(input.step) && input.step > 0 && input.lo < input.hi,
              "integerize: the input quantization needs a positive step and lo < hi");
  RestoreTraining restore(network);
  network.eval();
  torch::NoGradGuard no_grad;
  detail::TraceBuffer trace;
  detail::Builder builder(network, trace, input);
  const Tensor x = example_input.detach();
  builder.bind_input(x);
  Tensor output;
  {
    detail::Tracing tracing(trace);
    nn::ObserveLayers observing(builder);
    output = forward(x);
  }
  return builder.finish(output);
}

}  // namespace quantlib::deploy
