#pragma once
// Batch norms far from their freshly built state, for tests that compare a
// network with its math done by hand, or with its batch norms folded away: a
// forward that skipped a batch norm, or a fold that misapplied one, would not
// show against the identity a fresh batch norm computes.
namespace torch::nn {
class Module;
}

namespace quantlab::test {

// Every module of `network` that keeps running statistics (a batch norm of
// any kind): running mean and variance drawn from [0.5, 1.5), its scale and
// shift from a standard normal (negative scales included), from torch's
// global generator, so a test's torch::manual_seed fixes them.
void randomise_batch_norms(torch::nn::Module& network);

}  // namespace quantlab::test
