#include "manager/dist/Communicator.h"

#include <algorithm>
#include <cstdlib>

#include <mpi.h>

namespace quantlab {

namespace {

class CompletedReduction : public PendingReduction {
 public:
  bool test() override { return true; }
  void wait() override {}
};

class LocalCommunicator : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  int local_size() const override { return 1; }
  void broadcast(torch::Tensor&, int) override {}
  void broadcast(std::string&, int) override {}
  void allreduce_sum(torch::Tensor&) override {}
  std::unique_ptr<PendingReduction> allreduce_sum_async(torch::Tensor&) override {
    return std::make_unique<CompletedReduction>();
  }
  void barrier() override {}
  [[noreturn]] void abort(int status) override { std::exit(status); }
};

MPI_Datatype mpi_type(const torch::Tensor& tensor) {
  switch (tensor.scalar_type()) {
    case torch::kFloat: return MPI_FLOAT;
    case torch::kDouble: return MPI_DOUBLE;
    case torch::kLong: return MPI_INT64_T;
    case torch::kInt: return MPI_INT32_T;
    case torch::kByte: return MPI_UINT8_T;
    case torch::kBool: return MPI_C_BOOL;
    default: TORCH_CHECK(false, "no MPI type for ", tensor.scalar_type());
  }
}

class MpiReduction : public PendingReduction {
 public:
  explicit MpiReduction(MPI_Request request) : request_(request) {}
  ~MpiReduction() override {
    if (request_ != MPI_REQUEST_NULL) MPI_Wait(&request_, MPI_STATUS_IGNORE);
  }
  bool test() override {
    if (request_ == MPI_REQUEST_NULL) return true;
    int done = 0;
    MPI_Test(&request_, &done, MPI_STATUS_IGNORE);
    return done != 0;
  }
  void wait() override {
    if (request_ != MPI_REQUEST_NULL) MPI_Wait(&request_, MPI_STATUS_IGNORE);
  }

 private:
  MPI_Request request_;
};

class MpiCommunicator : public Communicator {
 public:
  MpiCommunicator(int* argc, char*** argv) {
    int provided = 0;
    // Serialized, not funneled: CUDA tensors' collectives without NCCL, and
    // gradient hooks, may run on backward's device thread while the main
    // thread waits in backward.
    MPI_Init_thread(argc, argv, MPI_THREAD_SERIALIZED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    MPI_Comm local;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &local);
    MPI_Comm_size(local, &local_size_);
    MPI_Comm_free(&local);
  }
  ~MpiCommunicator() override { MPI_Finalize(); }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  int local_size() const override { return local_size_; }

  void broadcast(torch::Tensor& tensor, int root) override {
    TORCH_CHECK(tensor.is_contiguous(), "broadcast needs a contiguous tensor");
    MPI_Bcast(tensor.data_ptr(), static_cast<int>(tensor.numel()), mpi_type(tensor), root, MPI_COMM_WORLD);
  }
  void broadcast(std::string& text, int root) override {
    long long length = static_cast<long long>(text.size());
    MPI_Bcast(&length, 1, MPI_LONG_LONG, root, MPI_COMM_WORLD);
    text.resize(static_cast<size_t>(length));
    // MPI counts are ints: checkpoints of big networks go in 1 GiB pieces.
    constexpr long long kPiece = 1ll << 30;
    for (long long offset = 0; offset < length; offset += kPiece)
      MPI_Bcast(text.data() + offset, static_cast<int>(std::min(kPiece, length - offset)), MPI_CHAR, root,
                MPI_COMM_WORLD);
  }
  void allreduce_sum(torch::Tensor& tensor) override {
    TORCH_CHECK(tensor.is_contiguous(), "allreduce needs a contiguous tensor");
    MPI_Allreduce(MPI_IN_PLACE, tensor.data_ptr(), static_cast<int>(tensor.numel()), mpi_type(tensor), MPI_SUM,
                  MPI_COMM_WORLD);
  }
  std::unique_ptr<PendingReduction> allreduce_sum_async(torch::Tensor& tensor) override {
    TORCH_CHECK(tensor.is_contiguous(), "allreduce needs a contiguous tensor");
    MPI_Request request = MPI_REQUEST_NULL;
    MPI_Iallreduce(MPI_IN_PLACE, tensor.data_ptr(), static_cast<int>(tensor.numel()), mpi_type(tensor), MPI_SUM,
                   MPI_COMM_WORLD, &request);
    return std::make_unique<MpiReduction>(request);
  }
  void barrier() override { MPI_Barrier(MPI_COMM_WORLD); }
  [[noreturn]] void abort(int status) override {
    MPI_Abort(MPI_COMM_WORLD, status);
    std::exit(status);
  }

 private:
  int rank_ = 0;
  int size_ = 1;
  int local_size_ = 1;
};

bool launched_by_mpi() {
  for (const char* variable : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE", "MPI_LOCALNRANKS"})
    if (std::getenv(variable) != nullptr) return true;
  return false;
}

}  // namespace

std::unique_ptr<Communicator> make_communicator(int* argc, char*** argv) {
  if (launched_by_mpi()) return std::make_unique<MpiCommunicator>(argc, argv);
  return std::make_unique<LocalCommunicator>();
}

}  // namespace quantlab
