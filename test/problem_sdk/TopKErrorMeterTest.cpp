#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "quantlab/TopKErrorMeter.h"

namespace QUANTLAB_TEST_FILE {
namespace {

namespace {

// Logits whose classes rank in the given order, best first.
torch::Tensor logits_ranking(const std::vector<int>& best_first) {
  torch::Tensor row = torch::zeros({10});
  for (size_t rank = 0; rank < best_first.size(); ++rank)
    row[best_first[rank]] = 10.0 - static_cast<double>(rank);
  return row;
}

}  // namespace

TEST_CASE("the meter counts top-1 and top-5 hits of hand-made logits", "[sdk]") {
  auto meter = std::make_unique<quantlab::TopKErrorMeter>();
  CHECK(meter->main_metric() == "top1_error");
  CHECK_FALSE(meter->higher_is_better());

  // Sample 0: target ranked 1st. Sample 1: target ranked 3rd. Sample 2: target
  // ranked 6th. Sample 3: target ranked 5th. Sample 4: target ranked 1st.
  const torch::Tensor logits = torch::stack({logits_ranking({3, 1, 2, 0, 4, 5, 6, 7, 8, 9}),
                                             logits_ranking({0, 1, 7, 2, 3, 4, 5, 6, 8, 9}),
                                             logits_ranking({1, 2, 3, 4, 5, 0, 6, 7, 8, 9}),
                                             logits_ranking({0, 1, 2, 3, 9, 4, 5, 6, 7, 8}),
                                             logits_ranking({8, 0, 1, 2, 3, 4, 5, 6, 7, 9})});
  const torch::Tensor targets = torch::tensor({3, 7, 0, 9, 8}, torch::kLong);
  meter->add(logits, targets);

  const torch::Tensor statistics = meter->statistics();
  REQUIRE(statistics.scalar_type() == torch::kFloat64);
  REQUIRE(statistics.numel() == 3);
  CHECK(statistics[0].item<double>() == 5);  // count
  CHECK(statistics[1].item<double>() == 2);  // top-1 hits: samples 0 and 4
  CHECK(statistics[2].item<double>() == 4);  // top-5 hits: all but sample 2

  const auto metrics = meter->metrics(statistics);
  CHECK(metrics.at("top1_error") == Approx(100.0 * 3 / 5));
  CHECK(metrics.at("top5_error") == Approx(100.0 * 1 / 5));
}

TEST_CASE("meter statistics add up across batches and across meters", "[sdk]") {
  auto first = std::make_unique<quantlab::TopKErrorMeter>();
  auto second = std::make_unique<quantlab::TopKErrorMeter>();
  torch::manual_seed(3);
  const torch::Tensor logits = torch::randn({64, 10});
  const torch::Tensor targets = torch::randint(0, 10, {64}, torch::kLong);

  // Two batches in one meter, as two ranks would see them in two meters.
  first->add(logits.slice(0, 0, 40), targets.slice(0, 0, 40));
  first->add(logits.slice(0, 40), targets.slice(0, 40));
  auto whole = std::make_unique<quantlab::TopKErrorMeter>();
  whole->add(logits, targets);
  CHECK(torch::equal(first->statistics(), whole->statistics()));

  second->add(logits.slice(0, 0, 40), targets.slice(0, 0, 40));
  auto rest = std::make_unique<quantlab::TopKErrorMeter>();
  rest->add(logits.slice(0, 40), targets.slice(0, 40));
  const torch::Tensor reduced = second->statistics() + rest->statistics();
  const auto expected_top1 = 100.0 * (1.0 - logits.argmax(1).eq(targets).sum().item<double>() / 64);
  CHECK(whole->metrics(reduced).at("top1_error") == Approx(expected_top1));

  first->reset();
  CHECK(first->statistics().sum().item<double>() == 0);
  CHECK(first->metrics(first->statistics()).at("top1_error") == 100.0);
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
