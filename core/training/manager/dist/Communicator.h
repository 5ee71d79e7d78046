#pragma once
// The host's view of data-parallelism: a few collectives over CPU tensors.
// Plugins never see it. A single process uses the local communicator; under
// mpirun the MPI one.
#include <memory>
#include <string>

#include <torch/types.h>

namespace quantlab {

// A reduction under way; the tensor it reduces must outlive it.
class PendingReduction {
 public:
  virtual ~PendingReduction() = default;
  // Lets the reduction progress without blocking (MPI moves non-blocking
  // collectives on only inside MPI calls); true once it is complete.
  virtual bool test() = 0;
  virtual void wait() = 0;
};

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // Ranks on this machine, to share its cores.
  virtual int local_size() const = 0;
  virtual void broadcast(torch::Tensor& tensor, int root = 0) = 0;
  virtual void broadcast(std::string& text, int root = 0) = 0;
  // In place, element-wise sum over ranks; the tensor must be contiguous.
  virtual void allreduce_sum(torch::Tensor& tensor) = 0;
  // The same, started and left running; every rank must start its reductions
  // in the same order.
  virtual std::unique_ptr<PendingReduction> allreduce_sum_async(torch::Tensor& tensor) = 0;
  virtual void barrier() = 0;
  // Ends every rank of the job with this status.
  [[noreturn]] virtual void abort(int status) = 0;

  bool is_root() const { return rank() == 0; }
};

// MPI when started by mpirun (or another MPI launcher), else local. The
// returned object finalizes MPI when destroyed.
std::unique_ptr<Communicator> make_communicator(int* argc, char*** argv);

}  // namespace quantlab
