#include "ImageNetSplit.h"

namespace imagenet {

std::string ImageNetSplit::describe() const {
  constexpr std::size_t kShownAll = 10;
  const auto& names = classes();
  std::string mapping;
  for (std::size_t c = 0; c < names.size(); ++c) {
    if (names.size() > kShownAll && c == 3) {
      mapping += ", ...";
      c = names.size() - 1;
    }
    mapping += (c == 0 ? "" : ", ") + std::to_string(c) + " " + names[c];
  }
  return ImageFolder::describe() + "; classes " + mapping;
}

}  // namespace imagenet
