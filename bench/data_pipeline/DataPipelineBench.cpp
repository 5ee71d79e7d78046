// bench_data_pipeline: images/s of ImageNet training pre-processing (JPEG
// decode + random-resized-crop 224 + flip + normalize) per core, ours with 1
// and with N worker threads, beside PIL doing the same work on the same files
// with the same crops (bench/python/imagenet_pil.py), all in one run; the eval
// pre-processing (resize 256 + center-crop 224) and a plain full decode too.
// Target: ours / PIL >= 1.5 per core for the training transform.
// Files: photo-like 500x375 JPEGs (quality 90, 4:2:0), written once under
// build/bench-data/data_pipeline. A benchmark, not a test: exits 0 whatever
// the ratios are.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <torch/torch.h>

#include "quantlab/data/ImageDecode.h"
#include "quantlab/data/ImageTransforms.h"
#include "support/Files.h"
#include "support/ImageFiles.h"

namespace {

namespace fs = std::filesystem;
namespace data = quantlab::data;
using Clock = std::chrono::steady_clock;

constexpr std::int64_t kSize = 224;
constexpr std::int64_t kResize = 256;

struct Options {
  int images = 300;
  int width = 500;
  int height = 375;
  int rounds = 3;
  int threads = 2;
  fs::path folder = QUANTLAB_BENCH_DATA;
  fs::path python_script = QUANTLAB_BENCH_PYTHON_SCRIPT;
  // QuantLab's environment (Pillow from its lock file), else python3 on PATH.
  std::string python = std::string(QUANTLAB_BENCH_PYTHON).empty() ? "python3" : QUANTLAB_BENCH_PYTHON;
  bool run_python = true;
};

const char* kUsage =
    "usage: bench_data_pipeline [--images N] [--width W] [--height H] [--rounds R] [--threads T]\n"
    "                           [--folder DIR] [--python EXE] [--no-python]\n";

Options parse(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--no-python") {
      options.run_python = false;
      continue;
    }
    if (i + 1 >= argc) throw std::runtime_error(std::string(kUsage));
    const std::string value = argv[++i];
    if (flag == "--images") options.images = std::stoi(value);
    else if (flag == "--width") options.width = std::stoi(value);
    else if (flag == "--height") options.height = std::stoi(value);
    else if (flag == "--rounds") options.rounds = std::stoi(value);
    else if (flag == "--threads") options.threads = std::stoi(value);
    else if (flag == "--folder") options.folder = value;
    else if (flag == "--python") options.python = value;
    else throw std::runtime_error(std::string(kUsage));
  }
  return options;
}

// Any fixed per-file seeds do; these are spread out like the trainer's.
std::uint64_t file_seed(int i) { return data::SampleRng(0xbe7c4ULL + static_cast<std::uint64_t>(i)).next(); }

struct File {
  fs::path path;
  torch::Tensor bytes;
  std::int64_t width = 0, height = 0;
  std::uint64_t seed = 0;
};

// Writes the files once per (count, size); later runs reuse them.
std::vector<File> prepare_files(const Options& options) {
  const fs::path folder = options.folder / fmt::format("{}x{}", options.width, options.height);
  fs::create_directories(folder);
  std::vector<File> files;
  for (int i = 0; i < options.images; ++i) {
    const fs::path path = folder / fmt::format("photo_{:04d}.JPEG", i);
    if (!fs::exists(path)) {
      quantlab::test::JpegOptions jpeg;
      jpeg.quality = 90;
      const auto image = quantlab::test::photo_like_image(options.width, options.height, 1000 + i);
      quantlab::test::write_bytes(path.string() + ".part", quantlab::test::encode_jpeg(image, jpeg));
      fs::rename(path.string() + ".part", path);
    }
    const std::string bytes = quantlab::test::read_bytes(path);
    File file;
    file.path = path;
    file.bytes = torch::empty({static_cast<std::int64_t>(bytes.size())}, torch::kUInt8);
    std::memcpy(file.bytes.data_ptr<std::uint8_t>(), bytes.data(), bytes.size());
    data::ImageDecoder decoder(file.bytes.data_ptr<std::uint8_t>(), bytes.size());
    file.width = decoder.width();
    file.height = decoder.height();
    file.seed = file_seed(i);
    files.push_back(std::move(file));
  }
  return files;
}

using Work = std::function<torch::Tensor(const File&)>;

// Images per second over `rounds` passes, the files dealt round-robin to
// `threads` threads.
double rate(const std::vector<File>& files, int rounds, int threads, const Work& work) {
  for (std::size_t i = 0; i < std::min<std::size_t>(files.size(), 20); ++i) work(files[i]);
  const auto start = Clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      for (int r = 0; r < rounds; ++r)
        for (std::size_t i = t; i < files.size(); i += threads) work(files[i]);
    });
  for (auto& thread : pool) thread.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return static_cast<double>(rounds) * static_cast<double>(files.size()) / seconds;
}

std::map<std::string, double> run_python(const Options& options, const fs::path& manifest, const fs::path& dump,
                                         int dump_count) {
  const std::string command = fmt::format("'{}' '{}' '{}' --rounds {} --dump '{}' --dump-count {}", options.python,
                                          options.python_script.string(), manifest.string(), options.rounds,
                                          dump.string(), dump_count);
  std::map<std::string, double> rates;
  std::FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return rates;
  char line[256];
  while (std::fgets(line, sizeof(line), pipe)) {
    std::istringstream in(line);
    std::string name;
    double value = 0;
    if (in >> name >> value) rates[name] = value;
  }
  const int status = pclose(pipe);
  if (status != 0) std::cerr << "python baseline exited with status " << status << ": " << command << "\n";
  return rates;
}

}  // namespace

int main(int argc, char** argv) try {
  const Options options = parse(argc, argv);
  torch::set_num_threads(1);
  const auto norm = data::Normalization::imagenet();
  const std::vector<File> files = prepare_files(options);

  const Work train = [&](const File& f) { return data::imagenet_train_transform(f.bytes, kSize, norm, f.seed); };
  const Work eval = [&](const File& f) { return data::imagenet_eval_transform(f.bytes, kResize, kSize, norm); };
  const Work decode = [&](const File& f) { return data::decode_image(f.bytes); };

  // The manifest hands PIL the crops our transform draws.
  const fs::path manifest = options.folder / "manifest.txt";
  const fs::path dump = options.folder / "pil_outputs.f32";
  {
    std::ofstream out(manifest);
    for (const auto& f : files) {
      const auto crop = data::imagenet_train_crop(f.width, f.height, f.seed);
      const auto [rw, rh] = data::short_side_resize(f.width, f.height, kResize);
      const auto center = data::center_crop_box(rw, rh, kSize, kSize);
      out << f.path.string() << ' ' << crop.box.x << ' ' << crop.box.y << ' ' << crop.box.width << ' '
          << crop.box.height << ' ' << (crop.flip ? 1 : 0) << ' ' << rw << ' ' << rh << ' ' << center.x << ' '
          << center.y << '\n';
    }
  }

  const std::time_t now = std::time(nullptr);
  char date[32];
  std::strftime(date, sizeof(date), "%Y-%m-%d", std::gmtime(&now));
  std::cout << fmt::format("bench_data_pipeline {}: {} JPEGs {}x{} q90, {} rounds, {} hardware threads\n", date,
                           files.size(), options.width, options.height, options.rounds,
                           std::thread::hardware_concurrency());

  const int dump_count = std::min<int>(8, static_cast<int>(files.size()));
  std::map<std::string, double> pil;
  if (options.run_python) pil = run_python(options, manifest, dump, dump_count);

  struct Row {
    std::string name;
    Work work;
  };
  const std::vector<Row> rows = {{"train", train}, {"eval", eval}, {"decode", decode}};
  std::cout << fmt::format("{:<8} {:>12} {:>12} {:>18} {:>14} {:>14}\n", "work", "PIL 1 thr", "ours 1 thr",
                           fmt::format("ours {} thr/core", options.threads), "ours/PIL 1thr",
                           fmt::format("ours/PIL {}thr", options.threads));
  for (const auto& row : rows) {
    const double one = rate(files, options.rounds, 1, row.work);
    const double many = rate(files, options.rounds, options.threads, row.work) / options.threads;
    const double base = pil.count(row.name) ? pil[row.name] : 0.0;
    std::cout << fmt::format("{:<8} {:>12.1f} {:>12.1f} {:>18.1f} {:>14} {:>14}\n", row.name, base, one, many,
                             base > 0 ? fmt::format("{:.2f}x", one / base) : "-",
                             base > 0 ? fmt::format("{:.2f}x", many / base) : "-");
  }
  std::cout << "(images/s per core; 'thr/core' = total rate with that many threads / threads)\n";

  // Same work: our outputs against PIL's on the first files.
  if (options.run_python && fs::exists(dump)) {
    const std::string bytes = quantlab::test::read_bytes(dump);
    const std::int64_t per = 3 * kSize * kSize;
    if (bytes.size() == static_cast<std::size_t>(2 * dump_count * per) * sizeof(float)) {
      auto theirs = torch::from_blob(const_cast<char*>(bytes.data()), {2 * dump_count, 3, kSize, kSize}).clone();
      std::vector<torch::Tensor> ours;
      for (int i = 0; i < dump_count; ++i) ours.push_back(train(files[i]));
      for (int i = 0; i < dump_count; ++i) ours.push_back(eval(files[i]));
      const auto diff = (torch::stack(ours) - theirs).abs() * (255.0 * 0.226);  // in grey levels
      std::cout << fmt::format(
          "agreement with PIL on {} files: train mean {:.3f} max {:.2f}, eval mean {:.3f} max {:.2f} grey levels\n",
          dump_count, diff.slice(0, 0, dump_count).mean().item<double>(),
          diff.slice(0, 0, dump_count).max().item<double>(), diff.slice(0, dump_count).mean().item<double>(),
          diff.slice(0, dump_count).max().item<double>());
    }
  }
  return 0;
} catch (const std::exception& error) {
  std::cerr << "bench_data_pipeline: " << error.what() << "\n";
  return 1;
}
