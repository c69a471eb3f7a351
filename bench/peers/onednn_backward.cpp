// oneDNN backward peer: softmax_v2_backward (oneDNN 2.6 API), rows x cols f32, axis 1; the
// forward primitive descriptor it needs as a hint is made for forward_training.
#include "peers/backward.hpp"

#ifdef SMB_HAVE_DNNL
#include <omp.h>

#include <oneapi/dnnl/dnnl.hpp>
#include <unordered_map>
#endif

namespace smb::peers {

#ifdef SMB_HAVE_DNNL

namespace {

class OnednnBackward final : public BackwardRunner {
public:
    explicit OnednnBackward(const Shape& s) : threads_(s.threads), engine_(dnnl::engine::kind::cpu, 0), stream_(engine_) {
        omp_set_num_threads(threads_);
        using dnnl::memory;
        const memory::desc md({static_cast<memory::dim>(s.rows), static_cast<memory::dim>(s.cols)},
                              memory::data_type::f32, memory::format_tag::ab);
        const dnnl::algorithm alg =
            s.output == Output::softmax ? dnnl::algorithm::softmax_accurate : dnnl::algorithm::softmax_log;
        const dnnl::softmax_v2_forward::primitive_desc hint(
            dnnl::softmax_v2_forward::desc(dnnl::prop_kind::forward_training, alg, md, md, 1), engine_);
        const dnnl::softmax_v2_backward::primitive_desc pd(dnnl::softmax_v2_backward::desc(alg, md, md, md, 1),
                                                           engine_, hint);
        impl_ = pd.impl_info_str();
        prim_ = dnnl::softmax_v2_backward(pd);
        y_ = memory(md, engine_, DNNL_MEMORY_NONE);
        dy_ = memory(md, engine_, DNNL_MEMORY_NONE);
        dx_ = memory(md, engine_, DNNL_MEMORY_NONE);
        args_ = {{DNNL_ARG_DST, y_}, {DNNL_ARG_DIFF_DST, dy_}, {DNNL_ARG_DIFF_SRC, dx_}};
    }

    void run(const float* y, const float* dy, float* dx) override {
        y_.set_data_handle(const_cast<float*>(y));  // only read
        dy_.set_data_handle(const_cast<float*>(dy));
        dx_.set_data_handle(dx);
        omp_set_num_threads(threads_);
        prim_.execute(stream_, args_);
        stream_.wait();
    }

    std::string impl_info() const override { return impl_; }

private:
    int threads_;
    dnnl::engine engine_;
    dnnl::stream stream_;
    dnnl::softmax_v2_backward prim_;
    dnnl::memory y_, dy_, dx_;
    std::unordered_map<int, dnnl::memory> args_;
    std::string impl_;
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
