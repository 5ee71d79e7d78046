#pragma once
// Quantizer modules and the layers with quantizer slots that recipes fill.
#include "quantlib/nn/ActivationSlot.h"
#include "quantlib/nn/LsqQuantizer.h"
#include "quantlib/nn/PactQuantizer.h"
#include "quantlib/nn/QuantConv2d.h"
#include "quantlib/nn/QuantLinear.h"
#include "quantlib/nn/QuantizedLayer.h"
#include "quantlib/nn/Quantizer.h"
#include "quantlib/nn/QuantizerSlot.h"
#include "quantlib/nn/SteQuantizer.h"
#include "quantlib/nn/TqtQuantizer.h"
