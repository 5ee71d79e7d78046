#include "quantlib/deploy/fast/OneDnnInt8.h"

#include <utility>
#include <vector>

#include <ATen/core/dispatch/Dispatcher.h>
#include <torch/torch.h>

namespace quantlib::deploy::fast {
namespace {

using torch::Tensor;

constexpr const char* kConvPrepack = "onednn::qconv_prepack";
constexpr const char* kConv = "onednn::qconv_pointwise";
constexpr const char* kLinearPrepack = "onednn::qlinear_prepack";
constexpr const char* kLinear = "onednn::qlinear_pointwise";

Tensor call(const char* name, std::vector<c10::IValue> stack) {
  c10::Dispatcher::singleton().findSchemaOrThrow(name, "").callBoxed(&stack);
  return stack.at(0).toTensor();
}

std::vector<int64_t> pair(const std::array<int64_t, 2>& values) { return {values[0], values[1]}; }

// Scale 1 and zero point 0 per output channel: the accumulators come out as
// they are. `packed` is left for the operator's prepack.
PackedWeight unit_scales(int64_t channels, int64_t input_zero_point) {
  return {Tensor(), torch::ones({channels}, torch::kFloat), torch::zeros({channels}, torch::kLong), input_zero_point};
}

// The worst cases of one product: every input at 255, every weight at 127 (or
// -128), with zero point 0 and with a zero point that leaves the inputs'
// real values small, through both operators; empty when every accumulator is
// exact.
std::optional<std::string> saturation_found() {
  for (const int64_t weight_value : {127, -128}) {
    for (const int64_t zero_point : {0, 200}) {
      // 32 channels x 3 x 3 = 288 products: 255 * 128 * 288 < 2^24.
      const Tensor image = torch::full({2, 32, 5, 5}, 255, torch::kByte).contiguous(at::MemoryFormat::ChannelsLast);
      const Tensor weight = torch::full({4, 32, 3, 3}, weight_value, torch::kChar);
      const double expected_conv = static_cast<double>((255 - zero_point) * weight_value * 288);
      const Tensor conv = Int8Conv(weight, zero_point, {})(image);
      if (!conv.eq(expected_conv).all().item<bool>())
        return "oneDNN's int8 convolution does not accumulate 255 x " + std::to_string(weight_value) +
               " exactly on this CPU (its uint8 x int8 products saturate, as on x86 CPUs without VNNI)";
      const Tensor rows = torch::full({3, 512}, 255, torch::kByte);
      const Tensor matrix = torch::full({8, 512}, weight_value, torch::kChar);
      const double expected_linear = static_cast<double>((255 - zero_point) * weight_value * 512);
      if (!Int8Linear(matrix, zero_point)(rows).eq(expected_linear).all().item<bool>())
        return "oneDNN's int8 matrix product does not accumulate 255 x " + std::to_string(weight_value) +
               " exactly on this CPU (its uint8 x int8 products saturate, as on x86 CPUs without VNNI)";
    }
  }
  return std::nullopt;
}

}  // namespace

const std::optional<std::string>& int8_kernels_unavailable() {
  static const std::optional<std::string> reason = []() -> std::optional<std::string> {
    for (const char* name : {kConvPrepack, kConv, kLinearPrepack, kLinear})
      if (!c10::Dispatcher::singleton().findSchema({name, ""}))
        return std::string("this LibTorch has no ") + name + " (it was built without oneDNN)";
    try {
      torch::NoGradGuard no_grad;
      return saturation_found();
    } catch (const std::exception& error) {
      return std::string("oneDNN's int8 kernels failed on a test product: ") + error.what();
    }
  }();
  return reason;
}

Int8Conv::Int8Conv(const Tensor& weight, int64_t input_zero_point, const ConvGeometry& geometry)
    : weight_(unit_scales(weight.size(0), input_zero_point)), geometry_(geometry) {
  weight_.packed = call(kConvPrepack, {weight.to(torch::kChar).contiguous(), weight_.scales, 1.0, input_zero_point,
                                       pair(geometry_.stride), pair(geometry_.padding), pair(geometry_.dilation),
                                       geometry_.groups, c10::IValue()});
}

Tensor Int8Conv::operator()(const Tensor& input) const {
  return call(kConv, {input.contiguous(at::MemoryFormat::ChannelsLast), 1.0, weight_.input_zero_point, weight_.packed,
                      weight_.scales, weight_.zero_points, c10::IValue(), pair(geometry_.stride),
                      pair(geometry_.padding), pair(geometry_.dilation), geometry_.groups, 1.0, int64_t{0},
                      torch::kFloat, std::string("none"), c10::List<std::optional<at::Scalar>>(), std::string()});
}

Int8Linear::Int8Linear(const Tensor& weight, int64_t input_zero_point)
    : weight_(unit_scales(weight.size(0), input_zero_point)) {
  weight_.packed = call(kLinearPrepack, {weight.to(torch::kChar).contiguous(), c10::IValue()});
}

Tensor Int8Linear::operator()(const Tensor& input) const {
  return call(kLinear, {input.contiguous(), 1.0, weight_.input_zero_point, weight_.packed, weight_.scales,
                        weight_.zero_points, c10::IValue(), 1.0, int64_t{0}, torch::kFloat, std::string("none"),
                        c10::List<std::optional<at::Scalar>>(), std::string()});
}

}  // namespace quantlib::deploy::fast
