#pragma once
// Hash functions the real balancers use, reimplemented from their specifications, plus the
// synthetic backend addresses the hashing presets feed them.
#include <cstdint>
#include <string>
#include <string_view>

namespace wsfleet::models {

/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, as zlib and NGINX's ngx_crc32_*):
/// `crc32_update` continues a running value that starts at 0xFFFFFFFF; `crc32_final` inverts it.
std::uint32_t crc32_update(std::uint32_t crc, std::string_view bytes);
inline std::uint32_t crc32_final(std::uint32_t crc) { return crc ^ 0xFFFFFFFFu; }
/// The CRC-32 of `bytes` (crc32("123456789") = 0xCBF43926).
inline std::uint32_t crc32(std::string_view bytes) { return crc32_final(crc32_update(0xFFFFFFFFu, bytes)); }

/// xxHash64 (Yann Collet's specification, XXH64) of `bytes` with `seed`; Envoy's HashUtil::xxHash64.
/// Implemented here from the published algorithm (no third-party header).
std::uint64_t xxhash64(std::string_view bytes, std::uint64_t seed = 0);

/// HAProxy's full_hash (include/haproxy/intops.h): Bob Jenkins' 32-bit full-avalanche integer
/// hash followed by a multiplication by 3221225473.
std::uint32_t haproxy_full_hash(std::uint32_t a);

/// The Linux kernel's hash_32(val, bits): (val * 0x61C88647) >> (32 - bits) (GOLDEN_RATIO_32).
inline std::uint32_t linux_hash_32(std::uint32_t value, unsigned bits) {
  return static_cast<std::uint32_t>(value * 0x61C88647u) >> (32u - bits);
}

/// The client's IPv4 address, as the hashing presets read it from PickRequest::key: the low 32
/// bits, most significant octet first (key 0x0A000105 is 10.0.1.5).
inline std::uint32_t client_ipv4(std::uint64_t key) { return static_cast<std::uint32_t>(key); }

/// The client's IPv4 address as text, "a.b.c.d" (NGINX's $remote_addr, Envoy's source_ip).
std::string client_address_text(std::uint64_t key);

/// A backend's synthetic address, "10.A.B.C:80" with A.B.C the 24-bit value id + 1 (id 0 is
/// 10.0.0.1:80): what NGINX's `hash ... consistent` and Envoy's ring_hash/maglev hash, since the
/// simulation has no real addresses. The host part alone is backend_host(id).
std::string backend_host(std::uint64_t id);
/// backend_host(id) + ":80".
std::string backend_address(std::uint64_t id);

}  // namespace wsfleet::models
