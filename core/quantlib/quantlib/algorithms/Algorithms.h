#pragma once
// The controllers that drive quantization algorithms through training.
#include "quantlib/algorithms/AnaController.h"
#include "quantlib/algorithms/Controller.h"
#include "quantlib/algorithms/EpochSwitchController.h"
#include "quantlib/algorithms/InqController.h"
