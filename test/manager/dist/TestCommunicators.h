#pragma once
// Communicators for unit tests of data-parallel pieces in one process.
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "manager/dist/Communicator.h"

namespace quantlab::test {

// Pretends to be one of `ranks` ranks whose peers hold exactly what this one
// holds: every sum is `ranks` times the tensor. Records each reduction's size
// in the order started, and how many started asynchronously.
class MirrorCommunicator : public Communicator {
 public:
  explicit MirrorCommunicator(int ranks) : ranks_(ranks) {}
  int rank() const override { return 0; }
  int size() const override { return ranks_; }
  int local_size() const override { return ranks_; }
  void broadcast(torch::Tensor&, int) override {}
  void broadcast(std::string&, int) override {}
  void allreduce_sum(torch::Tensor& tensor) override {
    sizes.push_back(tensor.numel());
    tensor.mul_(ranks_);
  }
  std::unique_ptr<PendingReduction> allreduce_sum_async(torch::Tensor& tensor) override {
    ++async_started;
    allreduce_sum(tensor);
    return std::make_unique<Done>();
  }
  void barrier() override {}
  [[noreturn]] void abort(int) override { throw std::runtime_error("abort"); }

  std::vector<int64_t> sizes;
  int async_started = 0;

 private:
  struct Done : PendingReduction {
    bool test() override { return true; }
    void wait() override {}
  };
  int ranks_;
};

}  // namespace quantlab::test
