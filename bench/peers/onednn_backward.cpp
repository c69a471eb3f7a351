// oneDNN backward peer: softmax_v2_backward (oneDNN 2.6 API), rows x cols f32, axis 1; the
// forward primitive descriptor it needs as a hint is made for forward_training.
#include "peers/backward.hpp"

#ifdef SMB_HAVE_DNNL
#include "onednn_common.hpp"
#endif

namespace smb::peers {

#ifdef SMB_HAVE_DNNL

namespace {

class OnednnBackward final : public BackwardRunner {
public:
    explicit OnednnBackward(const Shape& s) : ctx_(s.threads) {
        const dnnl::memory::desc md = onednn::matrix_desc(s, dnnl::memory::data_type::f32);
        const dnnl::algorithm alg = onednn::softmax_algorithm(s.output);
        const dnnl::softmax_v2_forward::primitive_desc hint(
            dnnl::softmax_v2_forward::desc(dnnl::prop_kind::forward_training, alg, md, md, 1), ctx_.engine);
        const dnnl::softmax_v2_backward::primitive_desc pd(dnnl::softmax_v2_backward::desc(alg, md, md, md, 1),
                                                           ctx_.engine, hint);
        ctx_.impl = pd.impl_info_str();
        prim_ = dnnl::softmax_v2_backward(pd);
        y_ = ctx_.handle(md);
        dy_ = ctx_.handle(md);
        dx_ = ctx_.handle(md);
        ctx_.args = {{DNNL_ARG_DST, y_}, {DNNL_ARG_DIFF_DST, dy_}, {DNNL_ARG_DIFF_SRC, dx_}};
    }

    void run(const float* y, const float* dy, float* dx) override {
        y_.set_data_handle(const_cast<float*>(y));  // only read
        dy_.set_data_handle(const_cast<float*>(dy));
        dx_.set_data_handle(dx);
        ctx_.execute(prim_);
    }

    std::string impl_info() const override { return ctx_.impl; }

private:
    onednn::Context ctx_;
    dnnl::softmax_v2_backward prim_;
    dnnl::memory y_, dy_, dx_;
};

}  // namespace

std::unique_ptr<BackwardRunner> make_onednn_backward(const Shape& s) {
    try {
        return std::make_unique<OnednnBackward>(s);
    } catch (const dnnl::error& e) {
        throw std::runtime_error(std::string("oneDNN: ") + e.what());
    }
}

#else

std::unique_ptr<BackwardRunner> make_onednn_backward(const Shape&) { throw NotBuilt("oneDNN not found at build time"); }

#endif

}  // namespace smb::peers
