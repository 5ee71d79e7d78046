// The seed inputs of each fuzz target, written into test/fuzz/corpus by
// `quantlab_fuzz_tests "[.seed]"`: small valid files of every kind (and a few
// near-valid ones), from which scripts/fuzz grows the corpus. They are made
// by our own writers so that they match what the readers expect today.
#include <cstdlib>
#include <fstream>

#include <catch2/catch.hpp>
#include <torch/torch.h>
#include <yaml-cpp/yaml.h>
#include <zlib.h>

#include "manager/config/ExperimentConfig.h"
#include "quantlab/PluginDescriptor.h"
#include "manager/tensorboard/EventWriter.h"
#include "manager/tensorboard/TensorHistogram.h"
#include "support/ImageFiles.h"

void write_checkpoint_seed(const std::filesystem::path& path);

namespace {

namespace fs = std::filesystem;
const fs::path kSource = QUANTLAB_SOURCE_DIR;
const fs::path kCorpus = kSource / "test" / "fuzz" / "corpus";

void write(const std::string& target, const std::string& name, const std::string& bytes) {
  fs::create_directories(kCorpus / target);
  std::ofstream out(kCorpus / target / name, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

std::string read(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string gzip(const std::string& bytes) {
  z_stream stream{};
  REQUIRE(deflateInit2(&stream, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(deflateBound(&stream, bytes.size()) + 32, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  stream.avail_in = static_cast<uInt>(bytes.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&stream, Z_FINISH) == Z_STREAM_END);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

std::string big_endian(std::uint32_t value) {
  return {static_cast<char>(value >> 24), static_cast<char>(value >> 16), static_cast<char>(value >> 8),
          static_cast<char>(value)};
}

std::string idx(const std::vector<std::uint32_t>& shape) {
  std::string bytes = big_endian(0x800u | static_cast<std::uint32_t>(shape.size()));
  std::size_t count = 1;
  for (const auto size : shape) {
    bytes += big_endian(size);
    count *= size;
  }
  for (std::size_t i = 0; i < count; ++i) bytes.push_back(static_cast<char>(i * 37 % 251));
  return bytes;
}

std::string emitted(const YAML::Node& node) {
  YAML::Emitter out;
  out << node;
  return std::string(out.c_str()) + "\n";
}

}  // namespace

TEST_CASE("Write the fuzz seeds", "[.seed]") {
  // config: every shipped config with its base chain resolved (the target
  // has no other files), some with --set lines, and a file that is its own base.
  for (const auto& entry : fs::recursive_directory_iterator(kSource / "configs")) {
    if (entry.path().extension() != ".yaml" || entry.path().parent_path().filename() == "sweeps") continue;
    const std::string problem = entry.path().parent_path().filename().string();
    const std::string text = emitted(quantlab::load_config_file(entry.path()));
    write("config", problem + "." + entry.path().filename().string(), text);
  }
  write("config", "set.yaml",
        read(kSource / "configs/fashionmnist/SimpleCNN.yaml") +
            "#set\nexperiment.n_epochs=2\ntraining.optimizer.params.lr=0.1\nnetwork.params.channels=[8, 16]\n"
            "network.quantize={recipe: rules, params: {rules: [{select: {regex: 'conv.*'}, weight: {algorithm: "
            "ternary}}]}}\n");
  write("config", "self-base.yaml", "base: config.yaml\nexperiment: {n_epochs: 2}\n");

  // sweep: the shipped sweeps, and one with --set axes and every axis kind.
  for (const auto& entry : fs::directory_iterator(kSource / "configs/fashionmnist/sweeps"))
    write("sweep", entry.path().filename().string(), read(entry.path()));
  write("sweep", "all-axes.yaml",
        "name: all\nset: {experiment.n_epochs: 1}\ngrid: {training.optimizer.params.lr: [0.01, 0.05]}\n"
        "zip: [{network.params.hidden: [64, 128], network.params.dropout: [0.1, 0.2]}]\n"
        "random: {samples: 3, seed: 7, params: {training.optimizer.params.weight_decay: {log_uniform: [1.0e-5, "
        "1.0e-3]}, network.params.channels: {choice: [[8, 16], [16, 32]]}}}\n"
        "repeat: 2\nprune: {method: halving, after_epoch: 1, eta: 3}\n#set\nexperiment.n_folds=1,2\n");

  // idx: images [N, rows, cols] and labels [N], plain and gzip.
  write("idx", "images.idx", idx({3, 4, 5}));
  write("idx", "labels.idx", idx({7}));
  write("idx", "images.idx.gz", gzip(idx({2, 6, 6})));
  write("idx", "labels.idx.gz", gzip(idx({5})));

  // cifar: one and three records.
  std::string records;
  for (int r = 0; r < 3; ++r) {
    records.push_back(static_cast<char>(r * 4));
    for (int i = 0; i < 3072; ++i) records.push_back(static_cast<char>((i * 7 + r) % 256));
    if (r == 0) write("cifar", "one-record.bin", records);
  }
  write("cifar", "three-records.bin", records);
  write("cifar", "bad-label.bin", std::string(1, '\x0c') + records.substr(1, 3072));

  // image: JPEGs of every kind the decoder handles, and PNGs.
  using namespace quantlab::test;
  const RgbImage picture = photo_like_image(37, 23, 3);
  write("image", "baseline.jpg", encode_jpeg(picture));
  write("image", "gray.jpg", encode_jpeg(picture, {.quality = 80, .grayscale = true}));
  write("image", "cmyk.jpg", encode_jpeg(picture, {.quality = 80, .cmyk = true}));
  write("image", "progressive.jpg", encode_jpeg(photo_like_image(64, 48, 5), {.quality = 70, .progressive = true}));
  write("image", "444.jpg", encode_jpeg(smooth_image(17, 9), {.quality = 95, .subsample = false}));
  write("image", "tiny.png", encode_png(smooth_image(5, 3)));
  write("image", "picture.png", encode_png(picture));

  // events: scalars, a histogram and the hparams records, as a run writes them.
  {
    const fs::path folder = fs::temp_directory_path() / "quantlab-fuzz-seed-events";
    fs::remove_all(folder);
    fs::path written;
    {
      quantlab::tensorboard::EventWriter writer(folder, ".seed", [] { return 1.7e9; });
      writer.add_hparams_experiment_with_domains({{"lr", {0.01, 0.1}}, {"recipe", {"pact", "lsq"}}},
                                                 {"valid/top1_error"});
      writer.add_hparams_session_start({{"lr", 0.01}, {"recipe", "pact"}, {"augment", true}}, "g", 1.7e9);
      writer.add_scalar("train/loss", 2.5, 1);
      writer.add_scalar("valid/top1_error", 40.0, 1);
      quantlab::tensorboard::add_histogram(writer, "weights/fc", torch::linspace(-1, 1, 9), 1);
      writer.add_hparams_session_end(true, 1.7e9 + 5);
      written = writer.path();
    }
    write("events", "run.tfevents", read(written));
    fs::remove_all(folder);
  }

  // checkpoint: the target's harness after one Adam step.
  fs::create_directories(kCorpus / "checkpoint");
  write_checkpoint_seed(kCorpus / "checkpoint" / "adam-step.ckpt");

  // plugin: a small ELF shared object, and the descriptor fields of a good plugin.
  {
    const fs::path folder = fs::temp_directory_path() / "quantlab-fuzz-seed-elf";
    fs::create_directories(folder);
    std::ofstream(folder / "p.c") << "int quantlab_plugin(void) { return 2; }\n";
    const std::string command = "cc -shared -nostdlib -Os -s -Wl,-z,noseparate-code -Wl,--build-id=none -o " +
                                (folder / "p.so").string() + " " + (folder / "p.c").string();
    REQUIRE(std::system(command.c_str()) == 0);
    write("plugin", "small.so", read(folder / "p.so"));
    fs::remove_all(folder);
  }
  std::string descriptor = std::string("\x03\0\0\0", 4) + "\x01";
  for (const std::string field : {"fashionmnist", "0.1.0", QUANTLAB_HEADERS_HASH, TORCH_VERSION, QUANTLAB_COMPILER,
                                  QUANTLAB_STANDARD_LIBRARY})
    descriptor += field + '\0';
  write("plugin", "descriptor-good.bin", descriptor);
  write("plugin", "descriptor-old-abi.bin", std::string("\x02\0\0\0\x01name\0", 10));
  SUCCEED();
}
