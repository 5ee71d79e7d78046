#include "manager/train/ArchiveCheck.h"

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <optional>
#include <vector>
#include <sstream>

#include <caffe2/serialize/inline_container.h>
#include <torch/torch.h>

#include "quantlab/Errors.h"

namespace quantlab {

namespace {

// How a pickle opcode's argument is laid out (Python's pickletools lists
// them): a fixed number of bytes, one or two newline-terminated lines, or a
// little-endian length of 1, 4 or 8 bytes followed by that many bytes.
enum class Argument { none, bytes1, bytes2, bytes4, bytes8, line, two_lines, counted1, counted4, counted8 };

bool argument_of(unsigned char opcode, Argument& argument) {
  switch (opcode) {
    // No argument.
    case '(': case '.': case '0': case '1': case '2': case 'N': case 'Q': case 'R': case 'a': case 'b':
    case 'd': case '}': case 'e': case 'l': case ']': case 'o': case 's': case 't': case ')': case 'u':
    case 0x81: case 0x85: case 0x86: case 0x87: case 0x88: case 0x89: case 0x8f: case 0x90: case 0x91:
    case 0x92: case 0x93: case 0x94: case 0x97: case 0x98:
      argument = Argument::none;
      return true;
    case 'K': case 'h': case 'q': case 0x80: case 0x82:
      argument = Argument::bytes1;
      return true;
    case 'M': case 0x83:
      argument = Argument::bytes2;
      return true;
    case 'J': case 'j': case 'r': case 0x84:
      argument = Argument::bytes4;
      return true;
    case 'G':
      argument = Argument::bytes8;
      return true;
    case 'F': case 'I': case 'L': case 'P': case 'S': case 'V': case 'g': case 'p':
      argument = Argument::line;
      return true;
    case 'c': case 'i':
      argument = Argument::two_lines;
      return true;
    case 'U': case 'C': case 0x8a: case 0x8c:
      argument = Argument::counted1;
      return true;
    case 'T': case 'X': case 'B': case 0x8b:
      argument = Argument::counted4;
      return true;
    case 0x8d: case 0x8e: case 0x96:
      argument = Argument::counted8;
      return true;
    case 0x95:  // FRAME: an 8-byte frame length, the frame's opcodes follow
      argument = Argument::bytes8;
      return true;
    default:
      return false;
  }
}

std::uint64_t little_endian(const unsigned char* bytes, int count) {
  std::uint64_t value = 0;
  for (int i = count - 1; i >= 0; --i) value = value << 8 | bytes[i];
  return value;
}

// A storage a pickle refers to: TorchScript's pickler writes each as the
// persistent id ('storage', torch.<Type>Storage, key, location, numel), whose
// bytes are the record <pickle's folder>/<key>.
struct StorageReference {
  std::string type;  // e.g. "FloatStorage"
  std::string key;
  std::uint64_t numel = 0;
};

// What the walk remembers of the values since the last MARK: strings,
// integers and globals, which persistent ids are made of (through the memo
// too: the pickler writes a repeated string or global once and then refers
// to it); anything else is `other`.
struct Atom {
  enum class Kind { other, text, integer, global } kind = Kind::other;
  std::string text;
  std::uint64_t integer = 0;
};

struct PickleWalk {
  std::string problem;  // "" when every length fits
  std::vector<StorageReference> storages;
};

// Walks every opcode of one pickle: each length must fit in what follows it,
// and each persistent id must be a storage reference.
PickleWalk walk_pickle(const unsigned char* data, std::size_t size) {
  PickleWalk walk;
  std::vector<Atom> since_mark;
  std::map<std::uint64_t, Atom> memo;
  std::optional<std::vector<Atom>> last_tuple;  // the tuple just built, if the previous opcode built it
  std::size_t at = 0;
  while (at < size) {
    const unsigned char opcode = data[at];
    Argument argument;
    if (!argument_of(opcode, argument)) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02x", opcode);
      walk.problem = "unknown pickle opcode " + std::string(hex) + " at byte " + std::to_string(at);
      return walk;
    }
    const std::size_t opcode_at = at++;
    const std::size_t left = size - at;
    auto too_long = [&](std::uint64_t claimed) {
      walk.problem = "pickle opcode at byte " + std::to_string(opcode_at) + " claims " + std::to_string(claimed) +
                     " bytes, " + std::to_string(left) + " follow";
      return walk;
    };
    auto skip_line = [&]() {
      const void* newline = std::memchr(data + at, '\n', size - at);
      if (newline == nullptr) return false;
      at = static_cast<const unsigned char*>(newline) - data + 1;
      return true;
    };
    const std::size_t argument_at = at;
    std::uint64_t fixed = 0;  // a fixed-width argument's value
    std::string counted;      // a counted argument's bytes
    switch (argument) {
      case Argument::none:
        break;
      case Argument::bytes1: case Argument::bytes2: case Argument::bytes4: case Argument::bytes8: {
        const int width = argument == Argument::bytes1 ? 1 : argument == Argument::bytes2 ? 2
                          : argument == Argument::bytes4 ? 4 : 8;
        if (left < static_cast<std::size_t>(width)) return too_long(width);
        fixed = little_endian(data + at, width);
        at += width;
        break;
      }
      case Argument::line:
        if (!skip_line()) {
          walk.problem = "pickle opcode at byte " + std::to_string(opcode_at) + " has no end of line";
          return walk;
        }
        break;
      case Argument::two_lines:
        if (!skip_line() || !skip_line()) {
          walk.problem = "pickle opcode at byte " + std::to_string(opcode_at) + " has no end of line";
          return walk;
        }
        break;
      case Argument::counted1: case Argument::counted4: case Argument::counted8: {
        const int width = argument == Argument::counted1 ? 1 : argument == Argument::counted4 ? 4 : 8;
        if (left < static_cast<std::size_t>(width)) return too_long(width);
        const std::uint64_t length = little_endian(data + at, width);
        if (length > left - width) return too_long(length);
        counted.assign(reinterpret_cast<const char*>(data + at + width), length);
        at += width + length;
        break;
      }
    }

    const bool tuple_before = last_tuple.has_value();
    std::optional<std::vector<Atom>> tuple;
    switch (opcode) {
      case '(':  // MARK
        since_mark.clear();
        break;
      case 'X': case 0x8c:  // BINUNICODE, SHORT_BINUNICODE
        since_mark.push_back({Atom::Kind::text, counted, 0});
        break;
      case 'J': case 'K': case 'M': {  // BININT, BININT1, BININT2
        const std::uint64_t value = opcode == 'J' ? static_cast<std::uint64_t>(static_cast<std::int32_t>(fixed)) : fixed;
        since_mark.push_back({Atom::Kind::integer, "", value});
        break;
      }
      case 0x8a: {  // LONG1: little-endian two's complement
        Atom atom{Atom::Kind::integer, "", 0};
        if (counted.size() > 8 || (!counted.empty() && (counted.back() & 0x80))) atom.kind = Atom::Kind::other;
        else atom.integer = little_endian(reinterpret_cast<const unsigned char*>(counted.data()), counted.size());
        since_mark.push_back(atom);
        break;
      }
      case 'c': {  // GLOBAL module\nname\n
        std::string text(reinterpret_cast<const char*>(data + argument_at), at - argument_at);
        since_mark.push_back({Atom::Kind::global, text, 0});
        break;
      }
      case 'q': case 'r':  // BINPUT, LONG_BINPUT: memoize the last value
        // LibTorch sizes its memo table by the largest id; a pickler numbers
        // them from 0, one per put, so an id past the pickle's length is damage.
        if (fixed >= size) {
          walk.problem = "pickle opcode at byte " + std::to_string(opcode_at) + " stores memo entry " +
                         std::to_string(fixed) + " of a " + std::to_string(size) + "-byte pickle";
          return walk;
        }
        memo[fixed] = since_mark.empty() ? Atom{} : since_mark.back();
        break;
      case 'h': case 'j': {  // BINGET, LONG_BINGET
        const auto found = memo.find(fixed);
        since_mark.push_back(found == memo.end() ? Atom{} : found->second);
        break;
      }
      case 't':  // TUPLE: the values since the MARK
        tuple = since_mark;
        since_mark.clear();
        since_mark.push_back({});
        break;
      case 'Q': {  // BINPERSID
        const std::vector<Atom>* id = tuple_before ? &*last_tuple : nullptr;
        if (id == nullptr || id->size() != 5 || (*id)[0].kind != Atom::Kind::text || (*id)[0].text != "storage" ||
            (*id)[1].kind != Atom::Kind::global || (*id)[2].kind != Atom::Kind::text ||
            (*id)[4].kind != Atom::Kind::integer || (*id)[1].text.rfind("torch\n", 0) != 0) {
          walk.problem = "pickle opcode at byte " + std::to_string(opcode_at) +
                         " loads something other than a tensor's storage";
          return walk;
        }
        std::string type = (*id)[1].text.substr(6);
        if (!type.empty() && type.back() == '\n') type.pop_back();
        walk.storages.push_back({type, (*id)[2].text, (*id)[4].integer});
        since_mark.push_back({});
        break;
      }
      case '.':  // STOP
        return walk;
      default:
        if (argument != Argument::none || opcode == 'N' || opcode == ']' || opcode == '}' || opcode == ')' ||
            opcode == 0x88 || opcode == 0x89 || opcode == 0x8f)
          since_mark.push_back({});
        break;
    }
    last_tuple = std::move(tuple);
  }
  walk.problem = "the pickle ends without its STOP opcode";
  return walk;
}

// Bytes per element of torch.<Type>Storage; 0 for a type this check does not know.
std::uint64_t element_bytes(const std::string& type) {
  static const std::map<std::string, std::uint64_t> sizes{
      {"FloatStorage", 4},  {"DoubleStorage", 8},   {"HalfStorage", 2},         {"BFloat16Storage", 2},
      {"LongStorage", 8},   {"IntStorage", 4},      {"ShortStorage", 2},        {"CharStorage", 1},
      {"ByteStorage", 1},   {"BoolStorage", 1},     {"ComplexFloatStorage", 8}, {"ComplexDoubleStorage", 16}};
  const auto found = sizes.find(type);
  return found == sizes.end() ? 0 : found->second;
}

// The bytes a tensor's elements span in its storage, from its storage offset
// to its last element; false when a size, stride or offset is negative or the
// span does not fit in 64 bits.
bool span_in_bytes(const torch::Tensor& tensor, std::int64_t& bytes) {
  std::int64_t last = tensor.storage_offset();
  if (last < 0) return false;
  for (std::int64_t d = 0; d < tensor.dim(); ++d) {
    const std::int64_t size = tensor.size(d), stride = tensor.stride(d);
    if (size < 0 || stride < 0) return false;
    std::int64_t step = 0;
    if (size > 0 && (__builtin_mul_overflow(size - 1, stride, &step) || __builtin_add_overflow(last, step, &last)))
      return false;
  }
  return !__builtin_add_overflow(last, std::int64_t{1}, &last) &&
         !__builtin_mul_overflow(last, static_cast<std::int64_t>(tensor.element_size()), &bytes);
}

void check_extents(const std::filesystem::path& path, torch::serialize::InputArchive& archive,
                   const std::string& prefix, int depth) {
  if (depth > 32) throw StorageError(path.string() + ": archives nested more than 32 deep at " + prefix);
  for (const std::string& key : archive.keys()) {
    torch::Tensor tensor;
    if (archive.try_read(key, tensor)) {
      if (!tensor.defined() || tensor.numel() == 0) continue;
      std::int64_t bytes = 0;
      if (!tensor.has_storage() || !span_in_bytes(tensor, bytes) ||
          bytes > static_cast<std::int64_t>(tensor.storage().nbytes()))
        throw StorageError(path.string() + ": tensor " + prefix + key + " of shape " + c10::str(tensor.sizes()) +
                           " reaches past its data (a damaged checkpoint)");
      continue;
    }
    torch::serialize::InputArchive nested;
    if (archive.try_read(key, nested)) check_extents(path, nested, prefix + key + ".", depth + 1);
  }
}

}  // namespace

void check_tensor_extents(const std::filesystem::path& path, torch::serialize::InputArchive& archive) {
  check_extents(path, archive, "", 0);
}

void check_torch_archive(const std::filesystem::path& path, const std::string& contents) {
  std::istringstream in(contents);
  caffe2::serialize::PyTorchStreamReader reader(&in);
  for (const std::string& record : reader.getAllRecords()) {
    const std::size_t size = reader.getRecordSize(record);
    if (size > contents.size())
      throw StorageError(path.string() + ": record " + record + " claims " + std::to_string(size) +
                         " bytes, more than the whole " + std::to_string(contents.size()) +
                         "-byte file (a damaged checkpoint)");
    // Pickles: data.pkl, constants.pkl, and the code's debug_pkl files,
    // which LibTorch unpickles too.
    if (record.size() < 3 || record.compare(record.size() - 3, 3, "pkl") != 0) continue;
    const auto [bytes, length] = reader.getRecord(record);
    const PickleWalk walk = walk_pickle(static_cast<const unsigned char*>(bytes.get()), length);
    auto damaged = [&](const std::string& problem) {
      return StorageError(path.string() + ": record " + record + ": " + problem + " (a damaged checkpoint)");
    };
    if (!walk.problem.empty()) throw damaged(walk.problem);
    // LibTorch sizes each storage by its numel and reads the record into it
    // without comparing the two.
    const std::string folder = record.substr(0, record.size() - 4) + "/";  // data.pkl -> data/
    for (const StorageReference& storage : walk.storages) {
      const std::uint64_t element = element_bytes(storage.type);
      if (element == 0) throw damaged("a storage of unknown type torch." + storage.type);
      const std::string data = folder + storage.key;
      if (!reader.hasRecord(data)) throw damaged("its storage " + data + " is missing");
      std::uint64_t needed = 0;
      if (__builtin_mul_overflow(storage.numel, element, &needed) || needed > reader.getRecordSize(data))
        throw damaged("storage " + data + " holds " + std::to_string(reader.getRecordSize(data)) + " bytes, " +
                      std::to_string(storage.numel) + " values of torch." + storage.type + " need more");
    }
  }
}

}  // namespace quantlab
