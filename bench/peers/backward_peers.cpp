// The backward peers, in a fixed order (bench/peers/backward.hpp).
#include "peers/backward.hpp"

namespace smb::peers {
namespace {

std::string no_suffix() { return {}; }

const BackwardPeer kBackwardPeers[] = {
    {"onednn", "oneDNN softmax_v2_backward, softmax_accurate / softmax_log, axis 1", &onednn_built, &no_suffix,
     &make_onednn_backward},
    {"pytorch", "PyTorch ATen _softmax_backward_data_out / _log_softmax_backward_data_out, dim 1", &pytorch_built,
     &pytorch_label_suffix, &make_pytorch_backward},
};

}  // namespace

std::span<const BackwardPeer> backward_peers() { return kBackwardPeers; }

}  // namespace smb::peers
