#include "quantlib/nn/ActivationSlot.h"

namespace quantlib::nn {

ActivationSlotImpl::ActivationSlotImpl() : torch::nn::Module("ActivationSlot") {}

}  // namespace quantlib::nn
