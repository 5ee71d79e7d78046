// A TensorBoard event file, read back as reports and `qlhost compare` read
// one.
#include "../FuzzTarget.h"
#include "manager/tensorboard/EventReader.h"

QUANTLAB_FUZZ_TARGET(events) {
  const auto file = quantlab::fuzz::write_scratch_file("events.out.tfevents.1.fuzz",
                                                       {reinterpret_cast<const char*>(data), size});
  quantlab::fuzz::user_errors_only([&] {
    const quantlab::tensorboard::EventReader reader(file);
    for (const auto& point : reader.scalars()) (void)reader.scalars(point.tag);
  });
}
