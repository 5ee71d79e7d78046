#pragma once
// Editable building blocks, quantizer modules and the quantized twins of
// plain layers.
#include "quantlib/algorithms/ana/AnaQuantizer.h"
#include "quantlib/algorithms/binary/BinaryQuantizer.h"
#include "quantlib/nn/Block.h"
#include "quantlib/algorithms/inq/InqQuantizer.h"
#include "quantlib/algorithms/lsq/LsqQuantizer.h"
#include "quantlib/algorithms/pact/PactQuantizer.h"
#include "quantlib/nn/QuantConv2d.h"
#include "quantlib/nn/QuantLinear.h"
#include "quantlib/nn/QuantizedLayer.h"
#include "quantlib/nn/Quantizer.h"
#include "quantlib/nn/QuantizerSlot.h"
#include "quantlib/nn/Sequential.h"
#include "quantlib/algorithms/ste/SteQuantizer.h"
#include "quantlib/algorithms/ternary/TernaryQuantizer.h"
#include "quantlib/algorithms/tqt/TqtQuantizer.h"
#include "quantlib/algorithms/uniform/UniformWeightQuantizer.h"
