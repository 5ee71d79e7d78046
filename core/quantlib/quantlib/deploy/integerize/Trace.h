#pragma once
// Integerize's op trace (internal): while a Tracing is alive, every aten op
// the current thread runs outside an op is recorded with its tensors, through
// thread-local RecordFunction callbacks. Only the outermost op of a nest is
// recorded (aten::flatten, not the aten::view it calls).
#include <string>
#include <vector>

#include <ATen/record_function.h>
#include <torch/types.h>

namespace quantlib::deploy::detail {

struct OpEvent {
  std::string name;
  std::vector<c10::IValue> arguments;
  std::vector<torch::Tensor> inputs;  // the tensor arguments, in order
  std::vector<torch::Tensor> outputs;
  bool done = false;
};

struct TraceBuffer {
  std::vector<OpEvent> events;
  int depth = 0;
};

// Records into `trace` for its lifetime.
class Tracing {
 public:
  explicit Tracing(TraceBuffer& trace);
  ~Tracing();
  Tracing(const Tracing&) = delete;
  Tracing& operator=(const Tracing&) = delete;

 private:
  TraceBuffer* previous_;
  at::CallbackHandle handle_;
};

// Integerize's own tensor work inside an observer call is not the network's.
class PauseTracing {
 public:
  PauseTracing();
  ~PauseTracing();
  PauseTracing(const PauseTracing&) = delete;
  PauseTracing& operator=(const PauseTracing&) = delete;

 private:
  TraceBuffer* saved_;
};

}  // namespace quantlib::deploy::detail
