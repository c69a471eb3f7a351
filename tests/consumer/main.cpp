// Uses the installed library the way a downstream project would: the registry and the batch call.
#include <softmaxbench/softmax.hpp>

#include <cmath>
#include <cstdio>

int main() {
    const smb::Variant* v = smb::find_variant("max_shifted.scalar");
    if (v == nullptr) return 1;
    const float x[3] = {2.0f, 1.0f, 0.1f};
    float y[3] = {};
    smb::BatchArgs a;
    a.x = x;
    a.y = y;
    a.rows = 1;
    a.cols = 3;
    smb::softmax_batch(*v, a);
    std::printf("%zu variants; softmax([2, 1, 0.1]) = [%.6f, %.6f, %.6f]\n", smb::all_variants().size(),
                double(y[0]), double(y[1]), double(y[2]));
    return std::fabs(y[0] - 0.659001f) < 1e-6f ? 0 : 2;
}
