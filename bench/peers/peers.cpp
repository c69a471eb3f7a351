// The one list of peers (see peer.hpp). Adding a peer: its .cpp (a Runner and a factory) and
// one row here; the benchmark and peer_accuracy pick it up from this list.
#include <array>

#include "peers/peer.hpp"

namespace smb::peers {
namespace {

bool always() { return true; }
std::string no_text() { return {}; }
std::string memcpy_version() { return "libc"; }

const std::array kPeers = {
    Peer{.name = "onednn",
         .what = "oneDNN softmax_v2_forward, softmax_accurate / softmax_log, axis 1, forward_inference",
         .softmax = true, .log_softmax = true, .built = onednn_built, .version = onednn_version,
         .capability = no_text, .label_suffix = no_text, .make = make_onednn},
    Peer{.name = "xnnpack", .what = "XNNPACK xnn_create_softmax_nc_f32 (no log_softmax operator)",
         .softmax = true, .log_softmax = false, .built = xnnpack_built, .version = xnnpack_version,
         .capability = no_text, .label_suffix = no_text, .make = make_xnnpack},
    Peer{.name = "pytorch",
         .what = "PyTorch at::_softmax_out / at::_log_softmax_out, last dim, preallocated output",
         .softmax = true, .log_softmax = true, .built = pytorch_built, .version = pytorch_version,
         .capability = pytorch_capability, .label_suffix = pytorch_label_suffix, .make = make_pytorch},
    // The same kernel through the public API; timed (allocation included), not scored again.
    Peer{.name = "pytorch_api",
         .what = "PyTorch torch::softmax(x, -1) / torch::log_softmax(x, -1): dispatcher + allocated output",
         .softmax = true, .log_softmax = true, .scored = false, .built = pytorch_built,
         .version = pytorch_version, .capability = pytorch_capability,
         .label_suffix = pytorch_label_suffix, .make = make_pytorch_api},
    Peer{.name = "memcpy", .what = "std::memcpy of the same rows: 1 read + 1 write per element",
         .softmax = true, .log_softmax = false, .scored = false, .built = always,
         .version = memcpy_version, .capability = no_text, .label_suffix = no_text,
         .make = make_memcpy},
};

}  // namespace

std::span<const Peer> all_peers() { return kPeers; }

const Peer* find_peer(std::string_view name) {
    for (const Peer& p : kPeers)
        if (p.name == name) return &p;
    return nullptr;
}

std::string label(const Peer& p) { return std::string(p.name) + p.label_suffix(); }

std::string entry_name(const Peer& p, Output out) {
    if (out == Output::softmax) return label(p);
    if (p.name == "onednn") return label(p) + "_log";
    return label(p) + ":log";
}

}  // namespace smb::peers
