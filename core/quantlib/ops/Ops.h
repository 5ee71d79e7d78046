#pragma once
// The fused quantization operations of quantlib, and their composed references.
#include "quantlib/ops/Lsq.h"
#include "quantlib/ops/Pact.h"
#include "quantlib/ops/QuantizerOptions.h"
#include "quantlib/ops/Reference.h"
#include "quantlib/ops/Tqt.h"
#include "quantlib/ops/UniformSte.h"
