// XNNPACK peer: the f32 softmax operator (xnn_create_softmax_nc_f32), rows = batch,
// cols = channels. XNNPACK has no log_softmax operator and no version API.
#include "peers/peer.hpp"
#include "bench_config.hpp"

#ifdef SMB_HAVE_XNNPACK
#include <pthreadpool.h>
#include <xnnpack.h>
#endif

namespace smb::peers {

#ifdef SMB_HAVE_XNNPACK

namespace {

void xnn_check(xnn_status st, const char* what) {
    if (st != xnn_status_success)
        throw std::runtime_error(std::string("XNNPACK: ") + what + " failed (status " +
                                 std::to_string(static_cast<int>(st)) + ")");
}

class XnnpackRunner final : public Runner {
public:
    explicit XnnpackRunner(const Shape& s) : rows_(s.rows) {
        if (s.output != Output::softmax)
            throw std::runtime_error("XNNPACK has no log_softmax operator");
        static const xnn_status init = xnn_initialize(nullptr);  // once per process
        xnn_check(init, "xnn_initialize");
        xnn_check(xnn_create_softmax_nc_f32(s.cols, /*input_stride=*/s.cols,
                                            /*output_stride=*/s.cols, /*flags=*/0, &op_),
                  "xnn_create_softmax_nc_f32");
        if (s.threads > 1) {
            pool_ = pthreadpool_create(static_cast<std::size_t>(s.threads));
            if (pool_ == nullptr) {
                xnn_delete_operator(op_);
                throw std::runtime_error("pthreadpool_create failed");
            }
        }
    }
    ~XnnpackRunner() override {
        xnn_delete_operator(op_);
        if (pool_ != nullptr) pthreadpool_destroy(pool_);
    }
    XnnpackRunner(const XnnpackRunner&) = delete;
    XnnpackRunner& operator=(const XnnpackRunner&) = delete;

    void run(const float* x, float* y) override {
        // Setup binds the pointers; redo it only when they change (rotating outputs).
        if (x != x_ || y != y_) {
            xnn_check(xnn_setup_softmax_nc_f32(op_, rows_, x, y, pool_), "xnn_setup_softmax_nc_f32");
            x_ = x;
            y_ = y;
        }
        xnn_check(xnn_run_operator(op_, pool_), "xnn_run_operator");
    }

private:
    std::size_t rows_;
    xnn_operator_t op_ = nullptr;
    pthreadpool_t pool_ = nullptr;
    const float* x_ = nullptr;
    float* y_ = nullptr;
};

}  // namespace

bool xnnpack_built() { return true; }
std::string xnnpack_version() { return "package " SMB_XNNPACK_PACKAGE_VERSION; }
std::unique_ptr<Runner> make_xnnpack(const Shape& s) {
    return std::make_unique<XnnpackRunner>(s);
}

#else  // !SMB_HAVE_XNNPACK

bool xnnpack_built() { return false; }
std::string xnnpack_version() { return "not built"; }
std::unique_ptr<Runner> make_xnnpack(const Shape&) {
    throw NotBuilt("XNNPACK not found at build time");
}

#endif

}  // namespace smb::peers
