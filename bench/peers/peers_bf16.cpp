// The bf16 peers' list (peer_bf16.hpp); the 2-byte memcpy is in memcpy.cpp.
#include "peers/peer_bf16.hpp"

namespace smb::peers {
namespace {

std::string no_suffix() { return {}; }

const Bf16Peer kBf16Peers[] = {
    {.name = "onednn", .softmax = true, .log_softmax = true, .label_suffix = no_suffix, .make = make_onednn_bf16},
    {.name = "pytorch", .softmax = true, .log_softmax = true, .label_suffix = pytorch_label_suffix,
     .make = make_pytorch_bf16},
    {.name = "memcpy", .softmax = true, .log_softmax = false, .label_suffix = no_suffix, .make = make_memcpy_bf16},
};

}  // namespace

std::span<const Bf16Peer> bf16_peers() { return kBf16Peers; }

std::string bf16_entry_name(const Bf16Peer& p, Output out) {
    std::string s(p.name);
    if (out == Output::log_softmax && p.name == "onednn") s += "_log";
    s += p.label_suffix();
    s += ".bf16";
    if (out == Output::log_softmax && p.name != "onednn") s += ":log";
    return s;
}

}  // namespace smb::peers
