// Damaged checkpoints the checkpoint fuzz target found: each is refused with
// a StorageError naming the file, before LibTorch could crash, read past a
// tensor's memory or allocate what the damaged bytes claim.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "manager/train/ArchiveCheck.h"
#include "manager/train/Checkpoint.h"
#include "quantlab/Errors.h"
#include "support/ErrorMessage.h"
#include "support/Files.h"

namespace QUANTLAB_TEST_FILE {
namespace {

namespace {

const std::filesystem::path kFindings = std::filesystem::path(QUANTLAB_SOURCE_DIR) / "test/fuzz/crashes/checkpoint";

std::string refusal(const std::string& finding) {
  const auto file = kFindings / finding;
  const std::string bytes = quantlab::test::read_bytes(file);
  return quantlab::test::error_message_of<quantlab::StorageError>(
      [&] { quantlab::check_torch_archive(file, bytes); });
}

}  // namespace

TEST_CASE("a storage record shorter than its tensors' values is refused before LibTorch reads it", "[checkpoint]") {
  // lr_schedule's 5 doubles pointed at an 8-byte record: LibTorch sized the
  // storage by the 5 and read 40 bytes from 8.
  CHECK_THAT(refusal("crash-f5d27f979fd55bf174f883bc308762fd189fd9c2"),
             Catch::Contains("crash-f5d27f979fd55bf174f883bc308762fd189fd9c2: record data.pkl: storage data/") &&
                 Catch::Contains("values of torch.DoubleStorage need more (a damaged checkpoint)"));
}

TEST_CASE("a pickle length past its record is refused before LibTorch allocates it", "[checkpoint]") {
  // LibTorch allocated 17 GB for these 20 KB files.
  for (const std::string finding :
       {"oom-14e1f1d5d67351251810ef75eb15836ffd00ccde", "oom-f4d3278b1c409c36f727ed20a85034fcf41fc131"}) {
    INFO(finding);
    CHECK_THAT(refusal(finding),
               Catch::Contains(finding + ": record data.pkl: ") && Catch::EndsWith("(a damaged checkpoint)"));
  }
}

TEST_CASE("a memo id past the pickle's length is refused before LibTorch sizes its memo table by it",
          "[checkpoint]") {
  // LibTorch allocated 31 GB for this memo id.
  const std::string finding = "crash-065a7008fc317a9c65037f223e38deacf3fe397f";
  CHECK_THAT(refusal(finding), Catch::EndsWith(finding + ": record data.pkl: pickle opcode at byte 1843 stores memo "
                                                         "entry 1969386850 of a 1987-byte pickle (a damaged checkpoint)"));
}

TEST_CASE("a checkpoint LibTorch cannot parse is a StorageError, not an internal error", "[checkpoint]") {
  // It threw TorchScript's ErrorReport, which qlhost reported as an internal error.
  const auto file = kFindings / "crash-d366bcad8f3069c2d3a39260b60b3c2a5dc8bc53";
  CHECK_THAT(quantlab::test::error_message_of<quantlab::StorageError>([&] { quantlab::read_progress(file); }),
             Catch::StartsWith(file.string() + ": "));
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
