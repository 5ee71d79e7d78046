#pragma once
// CRC-32C (Castagnoli), the checksum of TensorBoard event records, and the
// masked form those records store: a CRC of data that itself holds CRCs is
// weak, so the format rotates and offsets the value before storing it.
#include <cstdint>
#include <string_view>

namespace quantlab::tensorboard {

// Reflected polynomial 0x82F63B78, initial value and final xor 0xFFFFFFFF.
std::uint32_t crc32c(std::string_view bytes);

// ((crc >> 15) | (crc << 17)) + 0xa282ead8, modulo 2^32, and its inverse.
std::uint32_t mask_crc(std::uint32_t crc);
std::uint32_t unmask_crc(std::uint32_t masked_crc);

std::uint32_t masked_crc32c(std::string_view bytes);

}  // namespace quantlab::tensorboard
