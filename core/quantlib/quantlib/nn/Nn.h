#pragma once
// Editable building blocks, quantizer modules and the quantized twins of
// plain layers.
#include "quantlib/nn/AnaQuantizer.h"
#include "quantlib/nn/BinaryQuantizer.h"
#include "quantlib/nn/Block.h"
#include "quantlib/nn/InqQuantizer.h"
#include "quantlib/nn/LsqQuantizer.h"
#include "quantlib/nn/PactQuantizer.h"
#include "quantlib/nn/QuantConv2d.h"
#include "quantlib/nn/QuantLinear.h"
#include "quantlib/nn/QuantizedLayer.h"
#include "quantlib/nn/Quantizer.h"
#include "quantlib/nn/QuantizerSlot.h"
#include "quantlib/nn/Sequential.h"
#include "quantlib/nn/SteQuantizer.h"
#include "quantlib/nn/TernaryQuantizer.h"
#include "quantlib/nn/TqtQuantizer.h"
#include "quantlib/nn/UniformWeightQuantizer.h"
