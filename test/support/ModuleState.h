#pragma once
// Copies a module's parameters and buffers into another of the same shape
// through an in-memory archive, the way a checkpoint carries them.
#include <sstream>

#include <torch/nn/module.h>
#include <torch/serialize/archive.h>

namespace quantlab::test {

inline void copy_state(const torch::nn::Module& from, torch::nn::Module& to) {
  std::stringstream stream;
  torch::serialize::OutputArchive out;
  from.save(out);
  out.save_to(stream);
  torch::serialize::InputArchive in;
  in.load_from(stream);
  to.load(in);
}

}  // namespace quantlab::test
