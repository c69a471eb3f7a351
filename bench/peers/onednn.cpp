// oneDNN peer: softmax_v2_forward (oneDNN 2.6 API) over a rows x cols f32 or bf16 matrix, axis 1.
#include "peers/peer.hpp"
#include "peers/peer_bf16.hpp"

#ifdef SMB_HAVE_DNNL
#include "onednn_common.hpp"
#endif

namespace smb::peers {

#ifdef SMB_HAVE_DNNL

namespace {

// One primitive for both element types: ELEM (float or std::uint16_t bf16 bits, peer_bf16.hpp)
// with its oneDNN data type DT, run through BASE's run(const ELEM*, ELEM*).
template <class Base, class Elem, dnnl::memory::data_type DT>
class OnednnSoftmaxRunner final : public Base {
public:
    explicit OnednnSoftmaxRunner(const Shape& s) : ctx_(s.threads) {
        const dnnl::memory::desc md = onednn::matrix_desc(s, DT);
        const dnnl::softmax_v2_forward::desc desc(dnnl::prop_kind::forward_inference,
                                                  onednn::softmax_algorithm(s.output), md, md, /*axis=*/1);
        const dnnl::softmax_v2_forward::primitive_desc pd(desc, ctx_.engine);
        ctx_.impl = pd.impl_info_str();
        prim_ = dnnl::softmax_v2_forward(pd);
        src_ = ctx_.handle(md);
        dst_ = ctx_.handle(md);
        ctx_.args = {{DNNL_ARG_SRC, src_}, {DNNL_ARG_DST, dst_}};
    }

    void run(const Elem* x, Elem* y) override {
        if (x != x_) {  // oneDNN takes a non-const handle; the source is only read.
            src_.set_data_handle(const_cast<Elem*>(x));
            x_ = x;
        }
        if (y != y_) {
            dst_.set_data_handle(y);
            y_ = y;
        }
        ctx_.execute(prim_);
    }

    std::string impl_info() const override { return ctx_.impl; }

private:
    onednn::Context ctx_;
    dnnl::softmax_v2_forward prim_;
    dnnl::memory src_, dst_;
    const Elem* x_ = nullptr;
    Elem* y_ = nullptr;
};

using OnednnRunner = OnednnSoftmaxRunner<Runner, float, dnnl::memory::data_type::f32>;
using OnednnBf16Runner = OnednnSoftmaxRunner<Bf16Runner, std::uint16_t, dnnl::memory::data_type::bf16>;

}  // namespace

std::unique_ptr<Bf16Runner> make_onednn_bf16(const Shape& s) {
    try {
        return std::make_unique<OnednnBf16Runner>(s);
    } catch (const dnnl::error& e) {
        throw std::runtime_error(std::string("oneDNN bf16: ") + e.what());
    }
}

bool onednn_built() { return true; }

std::string onednn_version() {
    const dnnl_version_t* v = dnnl_version();
    std::string s = std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
                    std::to_string(v->patch);
    s += std::string(" (git hash ") + (v->hash != nullptr && *v->hash ? v->hash : "N/A") + ")";
    return s;
}

std::unique_ptr<Runner> make_onednn(const Shape& s) {
    try {
        return std::make_unique<OnednnRunner>(s);
    } catch (const dnnl::error& e) {
        throw std::runtime_error(std::string("oneDNN: ") + e.what());
    }
}

#else  // !SMB_HAVE_DNNL

bool onednn_built() { return false; }
std::string onednn_version() { return "not built"; }
std::unique_ptr<Runner> make_onednn(const Shape&) {
    throw NotBuilt("oneDNN not found at build time");
}
std::unique_ptr<Bf16Runner> make_onednn_bf16(const Shape&) { throw NotBuilt("oneDNN not found at build time"); }

#endif

}  // namespace smb::peers
