#pragma once
// The qdq, qop and float forms of the ONNX export (OnnxExport.h says what
// each form holds and refuses). Internal to the ONNX exporter, like
// OnnxGraphBuilder.h.
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

#include "quantlib/deploy/OnnxExport.h"

namespace quantlib::deploy::onnx_lowering {

// Writes the network into `graph` (input "input", output "logits") in
// options.form (qdq, qop or float). Returns the names of the layers whose
// product runs on float32 operands in ONNX Runtime (not fused into an int8
// kernel), for the metadata. quantlab::ConfigError naming the layer when the
// form cannot express a node.
std::vector<std::string> lower_quantized(const IntegerNetwork& network, const OnnxExportOptions& options,
                                         onnx::GraphProto& graph);

}  // namespace quantlib::deploy::onnx_lowering
