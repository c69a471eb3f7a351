// The bf16 peers: other libraries' bf16 softmax (bf16 in, bf16 out) and a memcpy of the same
// 2-byte rows, beside our .bf16 variants in softmax_bench (--smb_dtype=bf16). Same shape of
// interface as peer.hpp, with bf16 bit patterns (std::uint16_t) instead of floats.
//   onednn.bf16   oneDNN softmax_v2 with bf16 source and destination (its own conversions)
//   pytorch.bf16  at::_softmax_out / at::_log_softmax_out on kBFloat16 tensors (ATen converts to
//                 float per vector internally); named pytorch.<capability>.bf16 when
//                 ATEN_CPU_CAPABILITY is set, as the f32 entries
//   memcpy.bf16   std::memcpy of rows x cols 2-byte elements: the bandwidth floor
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "peers/peer.hpp"

namespace smb::peers {

class Bf16Runner {
public:
    virtual ~Bf16Runner() = default;
    virtual void run(const std::uint16_t* x, std::uint16_t* y) = 0;  // throws std::runtime_error
    virtual std::string impl_info() const { return {}; }
};

struct Bf16Peer {
    std::string_view name;  // base name: onednn, pytorch, memcpy (the entry adds ".bf16")
    bool softmax = true, log_softmax = false;
    std::string (*label_suffix)() = nullptr;
    std::unique_ptr<Bf16Runner> (*make)(const Shape&) = nullptr;  // throws NotBuilt
    bool supports(Output o) const { return o == Output::softmax ? softmax : log_softmax; }
};

std::span<const Bf16Peer> bf16_peers();
// name + label_suffix() + ".bf16" (+ ":log" for log_softmax; oneDNN: onednn_log.bf16).
std::string bf16_entry_name(const Bf16Peer& p, Output out);

std::unique_ptr<Bf16Runner> make_onednn_bf16(const Shape& s);
std::unique_ptr<Bf16Runner> make_pytorch_bf16(const Shape& s);
std::unique_ptr<Bf16Runner> make_memcpy_bf16(const Shape& s);

}  // namespace smb::peers
