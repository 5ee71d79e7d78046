#include "quantlib/deploy/integerize/Trace.h"

#include <memory>

namespace quantlib::deploy::detail {
namespace {

thread_local TraceBuffer* active_trace = nullptr;

struct EventContext : at::ObserverContext {
  explicit EventContext(int64_t i) : index(i) {}
  int64_t index;
};

std::unique_ptr<at::ObserverContext> on_op_start(const at::RecordFunction& fn) {
  TraceBuffer* trace = active_trace;
  if (trace == nullptr) return nullptr;
  if (++trace->depth != 1) return std::make_unique<EventContext>(-1);
  OpEvent event;
  event.name = fn.name();
  for (const auto& argument : fn.inputs()) {
    event.arguments.push_back(argument);
    if (argument.isTensor()) event.inputs.push_back(argument.toTensor());
  }
  trace->events.push_back(std::move(event));
  return std::make_unique<EventContext>(static_cast<int64_t>(trace->events.size()) - 1);
}

void on_op_end(const at::RecordFunction& fn, at::ObserverContext* context) {
  TraceBuffer* trace = active_trace;
  auto* event = static_cast<EventContext*>(context);
  if (trace == nullptr || event == nullptr) return;
  --trace->depth;
  if (event->index < 0) return;
  for (const auto& output : fn.outputs())
    if (output.isTensor()) trace->events[static_cast<size_t>(event->index)].outputs.push_back(output.toTensor());
}

}  // namespace

Tracing::Tracing(TraceBuffer& trace) : previous_(active_trace) {
  active_trace = &trace;
  handle_ = at::addThreadLocalCallback(
      at::RecordFunctionCallback(&on_op_start, &on_op_end).needsInputs(true).needsOutputs(true));
}

Tracing::~Tracing() {
  at::removeCallback(handle_);
  active_trace = previous_;
}

PauseTracing::PauseTracing() : saved_(active_trace) { active_trace = nullptr; }

PauseTracing::~PauseTracing() { active_trace = saved_; }

}  // namespace quantlib::deploy::detail
