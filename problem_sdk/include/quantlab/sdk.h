#pragma once
// Everything a problem plugin includes.
#include "quantlab/Dataset.h"
#include "quantlab/Errors.h"
#include "quantlab/Meter.h"
#include "quantlab/Network.h"
#include "quantlab/Params.h"
#include "quantlab/Plugin.h"
#include "quantlab/Problem.h"
#include "quantlab/TopKErrorMeter.h"
#include "quantlab/Topology.h"
