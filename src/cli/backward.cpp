// softmaxbench run --op softmax_backward | log_softmax_backward, and softmaxbench jacobian.
// Same rules as `run`: the output's temporary is created before any input is read, errors are
// one line (exceptions, reported by main.cpp), and nothing is written unless all went well.
#include <cmath>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "detail/atomic_file.hpp"
#include "npy/npy.hpp"
#include "softmaxbench/softmax.hpp"

namespace smb::cli {
namespace {

std::string shape_text(const std::vector<std::size_t>& shape) {
    std::string s = "(";
    for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + (shape.size() == 1 ? ",)" : ")");
}

}  // namespace

const char* const kJacobianDetails =
    "Reads one row y (a 1-D array of n floats, or 2-D with one row), a softmax output, and writes\n"
    "the n x n float32 matrix J = diag(y) - y y^T (J_ij = y_i (1 - y_i) on the diagonal, -y_i y_j\n"
    "elsewhere; each entry computed in double and rounded once), as the NumPy guide's\n"
    "softmax_gradient does. J dy is the softmax backward at y, in O(n^2) instead of O(n)\n"
    "(run --op softmax_backward). n is capped at 8192 (J is n^2 floats: 256 MiB). J.npy is\n"
    "written like run's OUTPUT (temporary file, renamed on success).\n\n";

int cmd_run_backward(const BackwardRunOptions& opt) {
    if (!available(*opt.variant))
        throw std::runtime_error(unavailable_reason(*opt.variant) + "; run 'softmaxbench list --op backward' to see the available variants");
    detail::AtomicFile out(opt.dx);
    const npy::Array y = npy::read(opt.y);
    npy::Array dy = npy::read(opt.dy);
    if (y.shape != dy.shape)
        throw std::runtime_error(opt.dy + " has shape " + shape_text(dy.shape) + " and " + opt.y + " " +
                                 shape_text(y.shape) + ": they must be the same");
    if (opt.output == Output::log_softmax) {
        // The log_softmax backward's y is a log-probability: exp(y) is taken on (-inf, 0].
        for (std::size_t k = 0; k < y.data.size(); ++k)
            if (y.data[k] > 0.0f)
                throw std::runtime_error(opt.y + ": row " + std::to_string(k / y.cols()) + ", column " +
                                         std::to_string(k % y.cols()) + " holds " + std::to_string(y.data[k]) +
                                         ", not a log_softmax output (log_softmax_backward needs y <= 0)");
    }
    BackwardArgs a;
    a.y = y.data.data();
    a.dy = dy.data.data();
    a.dx = dy.data.data();  // in place over dy
    a.rows = y.rows();
    a.cols = y.cols();
    a.output = opt.output;
    a.threads = opt.threads;
    backward_batch(*opt.variant, a);
    npy::write(out, dy.shape, dy.data);
    return 0;
}

int cmd_jacobian(const JacobianOptions& opt) {
    detail::AtomicFile out(opt.j);
    const npy::Array y = npy::read(opt.y);
    if (y.rows() != 1)
        throw std::runtime_error(opt.y + " has shape " + shape_text(y.shape) +
                                 ": the Jacobian is of one row (a 1-D array, or 2-D with one row)");
    const std::size_t n = y.cols();
    if (n > kJacobianMaxN)
        throw std::runtime_error(opt.y + " has " + std::to_string(n) + " entries: the explicit Jacobian is n x n, capped at n = " +
                                 std::to_string(kJacobianMaxN));
    std::vector<float> J(n * n);
    softmax_jacobian(y.data.data(), n, J.data());
    const std::vector<std::size_t> shape = {n, n};
    npy::write(out, shape, J);
    return 0;
}

}  // namespace smb::cli
