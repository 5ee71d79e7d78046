#pragma once
// The controllers that drive quantization algorithms through training.
#include "quantlib/algorithms/ana/AnaController.h"
#include "quantlib/algorithms/Controller.h"
#include "quantlib/algorithms/EpochSwitchController.h"
#include "quantlib/algorithms/StageSwitchController.h"
#include "quantlib/algorithms/inq/InqController.h"
#include "quantlib/algorithms/ste/SteController.h"
