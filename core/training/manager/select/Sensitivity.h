#pragma once
// Per-layer sensitivity of a trained full-precision network (what `qlhost
// sensitivity` measures): for each conv/linear layer, alone, its weights and
// then the activation feeding it quantized at each bit-width, and what that
// does to the loss and the main metric on calibration samples; the SQNR of
// the quantized tensor; and the trace of the layer's Hessian block
// (quantlib/select/Hutchinson.h). Under mpirun each rank holds part of the
// samples and every sum is reduced, so all ranks return the same report.
//
// Weights are quantized as quantlib/select/Probe.h's quantize_weight does,
// activations with a clipping bound of least squared error over the
// calibration samples (quantize_activation); the network's own tensors are
// restored after each measurement.
#include <cstdint>
#include <vector>

#include "manager/dist/Communicator.h"
#include "manager/compare/SensitivityFile.h"
#include "quantlab/Dataset.h"
#include "quantlab/Meter.h"
#include "quantlab/Network.h"
#include "quantlab/Topology.h"

namespace quantlab {

struct SensitivityOptions {
  std::vector<int64_t> bits{2, 3, 4, 8};
  int64_t chunk = 256;  // samples per forward pass
  int64_t draws = 32;   // Hutchinson's Rademacher vectors
  uint64_t seed = 0;    // of the Rademacher vectors
};

// `batch` is this rank's share of the calibration samples, pre-processed for
// evaluation (at least one sample); `total_samples` counts every rank's. The
// report's experiment, fold and checkpoint are left for the caller.
compare::Sensitivity measure_sensitivity(Network& network, const Topology& topology, Meter& meter,
                                              const Loss& loss, const Batch& batch, int64_t total_samples,
                                              const SensitivityOptions& options, Communicator& communicator);

}  // namespace quantlab
