#pragma once
// Augmentation and normalisation of whole batches of images, float [N, C, H, W],
// for a topology's preprocess (run in the data pipeline's worker threads).
// Every random choice comes from the generator passed in, drawn in a fixed
// order, so one generator state gives one batch whatever thread runs it.
#include <cstdint>
#include <vector>

#include <torch/types.h>

namespace quantlab::data {

// Each sample, independently with probability 1/2, mirrored left-right.
// Draws N uniform numbers from `generator`.
torch::Tensor random_flip(const torch::Tensor& images, torch::Generator& generator);

// Each sample zero-padded by `padding` pixels on every side and cropped back
// to H x W at an offset drawn uniformly from [0, 2 * padding] along each axis
// (so a shift of up to `padding` pixels; the padding shows as zeros, i.e.
// black when called before normalize). Draws N x 2 integers (row offset,
// column offset per sample) from `generator`; padding 0 returns the input
// and draws nothing.
torch::Tensor random_crop(const torch::Tensor& images, std::int64_t padding, torch::Generator& generator);

// (x - mean[c]) / std[c] per channel c. `mean` and `std` hold one value per
// channel, or one value for all channels; a mismatch or a std <= 0 is a bug
// (c10::Error).
torch::Tensor normalize(const torch::Tensor& images, const std::vector<double>& mean, const std::vector<double>& std);

}  // namespace quantlab::data
