#include <catch2/catch.hpp>

#include <unistd.h>

#include <optional>
#include <string>

#include "manager/logbook/ExperimentLock.h"
#include "quantlab/Errors.h"
#include "support/ErrorMessage.h"
#include "support/Files.h"
#include "support/TempDir.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using namespace quantlab;

TEST_CASE("an experiment has one writer: a second lock is refused naming the holder", "[logbook]") {
  test::TempDir dir;
  const auto experiment = dir / "exp0003";
  std::filesystem::create_directories(experiment);
  std::optional<ExperimentLock> first;
  first.emplace(experiment);
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  const std::string holder = std::string(host) + ":" + std::to_string(::getpid());
  CHECK(test::read_text(ExperimentLock::file(experiment)) == holder + "\n");

  // flock locks belong to an open file: a second open in this process conflicts too.
  const std::string refused = test::error_message_of<StorageError>([&] { ExperimentLock second(experiment); });
  CHECK(refused == "exp0003 is being trained by " + holder + " (it holds " +
                       ExperimentLock::file(experiment).string() +
                       "); one experiment has one writer: wait for it or stop it (--mode test reads it meanwhile)");

  first.reset();  // released
  CHECK(test::error_message_of<StorageError>([&] { ExperimentLock again(experiment); }) == "no error");
}

TEST_CASE("an experiment folder that cannot hold the lock file is a StorageError naming it", "[logbook]") {
  test::TempDir dir;
  const auto missing = dir / "exp0009";
  CHECK_THAT(test::error_message_of<StorageError>([&] { ExperimentLock lock(missing); }),
             Catch::StartsWith(ExperimentLock::file(missing).string() + ": cannot open the experiment's lock file"));
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
