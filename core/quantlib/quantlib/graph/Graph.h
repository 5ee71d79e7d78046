#pragma once
// Graph editing: list and select a network's layers by rules, swap them for
// quantized twins, insert activation quantizers, fold batch-norm. Networks are
// built from quantlib::nn::Block (quantlab::Network is one).
#include "quantlib/graph/Edit.h"
#include "quantlib/graph/FoldBatchNorm.h"
#include "quantlib/graph/Layer.h"
#include "quantlib/graph/Rule.h"
#include "quantlib/nn/Block.h"
#include "quantlib/nn/Sequential.h"
