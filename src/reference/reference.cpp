// Correctly rounded softmax / log_softmax reference (MPFR) and the accuracy metrics.
//
// reference_row works in three steps for a row with finite maximum m:
//   d_j = x_j - m           exact (a 300-bit MPFR value holds the difference of any two floats)
//   e_j = exp(d_j)          at precision_bits, kept for the softmax outputs
//   s   = sum_j e_j         accumulated with 64 guard bits so n additions cost no accuracy
// then softmax_i = e_i / s and log_softmax_i = d_i - log(s), each rounded once at
// precision_bits, and from there once to double (exact[]) and once to float (rounded[]); the
// binade (binade[], the ULP unit) is read from the MPFR value before either rounding.
// Special values (NaN, +-inf, all -inf, empty rows) never reach MPFR.
#include "softmaxbench/reference.hpp"

#include <mpfr.h>

#include <algorithm>
#include <bit>
#include <cfloat>
#include <cmath>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>

namespace smb::ref {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr float kNaNf = std::numeric_limits<float>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr float kInff = std::numeric_limits<float>::infinity();

// Enough bits to hold x_j - m exactly for any two finite floats: the difference is below 2^129
// in magnitude and a multiple of 2^-149, so 278 bits suffice.
constexpr mpfr_prec_t kDiffPrec = 300;
// Guard bits of the running sum, so that n <= 2^64 roundings of the sum stay far below the
// precision of the terms.
constexpr mpfr_prec_t kSumGuard = 64;
// exp(d) for d below this is < 2^-1154: it rounds to 0 in double and in float, even after the
// division by s >= 1, and its contribution to s is below 2^-1100 relative. Skipping the call
// keeps rows with a wide range fast and exact to the reported precision.
constexpr long kExpCutoff = -800;

// One MPFR variable, initialised and cleared with the scope.
class Mpfr {
public:
    explicit Mpfr(mpfr_prec_t prec) { mpfr_init2(v_, prec); }
    ~Mpfr() { mpfr_clear(v_); }
    Mpfr(const Mpfr&) = delete;
    Mpfr& operator=(const Mpfr&) = delete;
    mpfr_ptr get() { return v_; }

private:
    mpfr_t v_;
};

// n MPFR variables of one precision whose significands live in a single buffer (MPFR's custom
// interface), so a row costs two allocations rather than n.
class MpfrArray {
public:
    MpfrArray(std::size_t n, mpfr_prec_t prec) : vars_(n) {
        const std::size_t bytes = mpfr_custom_get_size(prec);
        stride_ = (bytes + sizeof(mp_limb_t) - 1) / sizeof(mp_limb_t);
        limbs_.resize(stride_ * n);
        for (std::size_t i = 0; i < n; ++i) {
            void* sig = limbs_.data() + i * stride_;
            mpfr_custom_init(sig, prec);
            mpfr_custom_init_set(&vars_[i], MPFR_ZERO_KIND, 0, prec, sig);
        }
    }
    mpfr_ptr operator[](std::size_t i) { return &vars_[i]; }

private:
    std::vector<__mpfr_struct> vars_;
    std::vector<mp_limb_t> limbs_;
    std::size_t stride_ = 0;
};

void fill(RowReference& r, double exact, float rounded) {
    std::fill(r.exact.begin(), r.exact.end(), exact);
    std::fill(r.rounded.begin(), r.rounded.end(), rounded);
    std::fill(r.binade.begin(), r.binade.end(), 0);
}

void resize(RowReference& r, std::size_t n) {
    r.exact.resize(n);
    r.rounded.resize(n);
    r.binade.resize(n);
}

// An entry whose exact value is exactly representable (0, -inf): no MPFR value.
void store_special(RowReference& r, std::size_t i, double v) {
    r.exact[i] = v;
    r.rounded[i] = static_cast<float>(v);
    r.binade[i] = 0;
}

void store(RowReference& r, std::size_t i, mpfr_srcptr v) {
    r.exact[i] = mpfr_get_d(v, MPFR_RNDN);
    r.rounded[i] = mpfr_get_flt(v, MPFR_RNDN);  // directly from v: a single rounding
    // MPFR writes v = m 2^E with 1/2 <= |m| < 1, so floor(log2 |v|) = E - 1: the binade of v
    // itself, which r.exact[i] may have left by rounding up to a power of two.
    r.binade[i] = mpfr_regular_p(v) ? static_cast<int>(mpfr_get_exp(v) - 1) : 0;
}

// Position of a float on a line where consecutive representable values differ by 1 and
// +0 / -0 share position 0.
std::int64_t float_line(float f) {
    const auto u = std::bit_cast<std::uint32_t>(f);
    const auto mag = static_cast<std::int64_t>(u & 0x7fffffffu);
    return (u & 0x80000000u) ? -mag : mag;
}


// MPFR keeps per-thread caches of constants (allocated inside mpfr_exp, mpfr_log) until told
// to free them: without this, every thread that computed a reference leaves them behind at
// exit (LeakSanitizer reports them in the asan preset). Touched wherever MPFR is called.
struct MpfrCacheRelease {
    ~MpfrCacheRelease() { mpfr_free_cache2(MPFR_FREE_LOCAL_CACHE); }
};
thread_local MpfrCacheRelease release_mpfr_cache_at_thread_exit;

// The policy rows (NaN or +inf anywhere, every entry -inf, empty): written without MPFR.
// Returns false for an ordinary row, which leaves r untouched.
bool special_reference(std::span<const float> x, Output out, bool masked_safe, RowReference& r) {
    bool poison = false;  // NaN or +inf somewhere
    std::size_t finite = 0;
    for (float v : x) {
        if (std::isnan(v) || v == kInff) poison = true;
        else if (v != -kInff) ++finite;
    }
    if (!x.empty() && !poison && finite > 0) return false;
    resize(r, x.size());
    if (poison || (finite == 0 && !masked_safe)) fill(r, kNaN, kNaNf);
    else if (out == Output::softmax) fill(r, 0.0, 0.0f);
    else fill(r, -kInf, -kInff);
    return true;
}

}  // namespace

// One chunk of the chunked reference: the same arithmetic, in one place.
RowReference reference_row(std::span<const float> x, Output out, bool masked_safe, int precision_bits) {
    ChunkedReference c(x, out, masked_safe, std::max<std::size_t>(x.size(), 1), precision_bits);
    for (std::size_t k = 0; k < c.chunks(); ++k) c.sum_chunk(k);
    c.combine();
    for (std::size_t k = 0; k < c.chunks(); ++k) c.write_chunk(k);
    return c.take();
}

struct ChunkedReference::Impl {
    std::span<const float> x;
    Output out = Output::softmax;
    mpfr_prec_t prec = 128;
    std::size_t chunk_len = 1;
    std::size_t chunks = 0;  // 0: a special row, r is already final
    float m = -kInff;
    RowReference r;
    std::vector<std::unique_ptr<Mpfr>> partial;    // per chunk: sum of its exps (prec + guard)
    std::vector<std::unique_ptr<MpfrArray>> exps;  // softmax, per chunk, until write_chunk
    std::unique_ptr<Mpfr> total;                   // softmax: s; log_softmax: log(s)
    bool combined = false;

    std::size_t begin(std::size_t k) const { return k * chunk_len; }
    std::size_t end(std::size_t k) const { return std::min(x.size(), (k + 1) * chunk_len); }
    void check_chunk(std::size_t k, const char* what) const {
        if (k >= chunks)
            throw std::out_of_range(std::string("ChunkedReference::") + what + ": chunk " +
                                    std::to_string(k) + " of " + std::to_string(chunks));
    }
};

ChunkedReference::ChunkedReference(std::span<const float> x, Output out, bool masked_safe,
                                   std::size_t chunk_len, int precision_bits)
    : impl_(std::make_unique<Impl>()) {
    if (precision_bits < 100) {
        throw std::invalid_argument("reference: precision_bits must be >= 100, got " +
                                    std::to_string(precision_bits));
    }
    Impl& s = *impl_;
    s.x = x;
    s.out = out;
    s.prec = static_cast<mpfr_prec_t>(precision_bits);
    s.chunk_len = std::max<std::size_t>(chunk_len, 1);
    if (special_reference(x, out, masked_safe, s.r)) {  // no MPFR work for these
        s.combined = true;
        return;
    }
    for (float v : x)
        if (v != -kInff) s.m = std::max(s.m, v);
    resize(s.r, x.size());
    s.chunks = (x.size() + s.chunk_len - 1) / s.chunk_len;
    s.partial.resize(s.chunks);
    if (out == Output::softmax) s.exps.resize(s.chunks);
}

ChunkedReference::~ChunkedReference() = default;

std::size_t ChunkedReference::chunks() const { return impl_->chunks; }

void ChunkedReference::sum_chunk(std::size_t k) {
    (void)&release_mpfr_cache_at_thread_exit;
    Impl& s = *impl_;
    s.check_chunk(k, "sum_chunk");
    const std::size_t b = s.begin(k), e = s.end(k);
    auto sum = std::make_unique<Mpfr>(s.prec + kSumGuard);
    mpfr_set_zero(sum->get(), 1);
    Mpfr mx(kDiffPrec), d(kDiffPrec);
    mpfr_set_flt(mx.get(), s.m, MPFR_RNDN);
    const std::span<const float> x = s.x;
    // The same steps as reference_row, restricted to [b, e).
    auto shifted = [&](std::size_t i) {
        if (x[i] == -kInff) return false;
        mpfr_set_flt(d.get(), x[i], MPFR_RNDN);
        mpfr_sub(d.get(), d.get(), mx.get(), MPFR_RNDN);
        return true;
    };
    auto same_as_previous = [&](std::size_t i) {
        return i > b && std::bit_cast<std::uint32_t>(x[i]) == std::bit_cast<std::uint32_t>(x[i - 1]);
    };
    if (s.out == Output::softmax) {
        auto ex = std::make_unique<MpfrArray>(e - b, s.prec);
        MpfrArray& a = *ex;
        for (std::size_t i = b; i < e; ++i) {
            if (same_as_previous(i)) {
                mpfr_set(a[i - b], a[i - b - 1], MPFR_RNDN);
            } else if (!shifted(i) || mpfr_cmp_si(d.get(), kExpCutoff) < 0) {
                continue;
            } else {
                mpfr_exp(a[i - b], d.get(), MPFR_RNDN);
            }
            mpfr_add(sum->get(), sum->get(), a[i - b], MPFR_RNDN);
        }
        s.exps[k] = std::move(ex);
    } else {
        Mpfr t(s.prec);
        bool have_t = false;
        for (std::size_t i = b; i < e; ++i) {
            if (!(have_t && same_as_previous(i))) {
                have_t = shifted(i) && mpfr_cmp_si(d.get(), kExpCutoff) >= 0;
                if (!have_t) continue;
                mpfr_exp(t.get(), d.get(), MPFR_RNDN);
            }
            mpfr_add(sum->get(), sum->get(), t.get(), MPFR_RNDN);
        }
    }
    s.partial[k] = std::move(sum);
}

void ChunkedReference::combine() {
    (void)&release_mpfr_cache_at_thread_exit;
    Impl& s = *impl_;
    if (s.combined) return;
    auto total = std::make_unique<Mpfr>(s.prec + kSumGuard);
    mpfr_set_zero(total->get(), 1);
    for (std::size_t k = 0; k < s.chunks; ++k) {
        if (!s.partial[k])
            throw std::logic_error("ChunkedReference::combine: chunk " + std::to_string(k) +
                                   " was not summed");
        mpfr_add(total->get(), total->get(), s.partial[k]->get(), MPFR_RNDN);
    }
    if (s.out == Output::log_softmax) mpfr_log(total->get(), total->get(), MPFR_RNDN);
    s.total = std::move(total);
    s.partial.clear();
    s.combined = true;
}

void ChunkedReference::write_chunk(std::size_t k) {
    (void)&release_mpfr_cache_at_thread_exit;
    Impl& s = *impl_;
    s.check_chunk(k, "write_chunk");
    if (!s.total) throw std::logic_error("ChunkedReference::write_chunk before combine");
    const std::size_t b = s.begin(k), e = s.end(k);
    Mpfr t(s.prec);
    if (s.out == Output::softmax) {
        std::unique_ptr<MpfrArray> ex = std::move(s.exps[k]);
        if (!ex) throw std::logic_error("ChunkedReference::write_chunk: chunk written twice");
        for (std::size_t i = b; i < e; ++i) {
            if (mpfr_zero_p((*ex)[i - b])) {
                store_special(s.r, i, 0.0);
                continue;
            }
            mpfr_div(t.get(), (*ex)[i - b], s.total->get(), MPFR_RNDN);
            store(s.r, i, t.get());
        }
    } else {
        Mpfr mx(kDiffPrec), d(kDiffPrec);
        mpfr_set_flt(mx.get(), s.m, MPFR_RNDN);
        for (std::size_t i = b; i < e; ++i) {
            if (s.x[i] == -kInff) {
                store_special(s.r, i, -kInf);
                continue;
            }
            mpfr_set_flt(d.get(), s.x[i], MPFR_RNDN);
            mpfr_sub(d.get(), d.get(), mx.get(), MPFR_RNDN);
            mpfr_sub(t.get(), d.get(), s.total->get(), MPFR_RNDN);
            store(s.r, i, t.get());
        }
    }
}

RowReference ChunkedReference::take() {
    Impl& s = *impl_;
    if (!s.combined) throw std::logic_error("ChunkedReference::take before combine");
    return std::move(s.r);
}

double ulp_error(float y, double r, int binade) {
    const bool y_nan = std::isnan(y), r_nan = std::isnan(r);
    if (y_nan || r_nan) return (y_nan && r_nan) ? 0.0 : kInf;
    if (std::isinf(r) || std::isinf(y)) return static_cast<double>(y) == r ? 0.0 : kInf;
    if (r == 0.0) return y == 0.0f ? 0.0 : kInf;
    const int ulp_exp = std::max(binade, -126) - 23;
    return std::ldexp(std::fabs(static_cast<double>(y) - r), -ulp_exp);
}

double ulp_error(float y, const RowReference& r, std::size_t i) {
    return ulp_error(y, r.exact[i], r.binade[i]);
}

int exact_binade(double v) {
    if (!std::isfinite(v) || v == 0.0) return 0;
    int fr_exp = 0;
    static_cast<void>(std::frexp(v, &fr_exp));  // |v| = f * 2^fr_exp, f in [0.5, 1)
    return fr_exp - 1;
}

std::uint64_t float_distance(float y, float r_rounded) {
    const bool y_nan = std::isnan(y), r_nan = std::isnan(r_rounded);
    if (y_nan || r_nan) return (y_nan && r_nan) ? 0 : UINT64_MAX;
    const std::int64_t a = float_line(y), b = float_line(r_rounded);
    return static_cast<std::uint64_t>(a > b ? a - b : b - a);
}

Metrics measure(std::span<const float> y, const RowReference& ref, Output out) {
    if (ref.exact.size() != ref.rounded.size() || ref.exact.size() != ref.binade.size()) {
        throw std::invalid_argument("measure: reference exact/rounded/binade sizes differ");
    }
    if (y.size() != ref.exact.size()) {
        throw std::invalid_argument("measure: output has " + std::to_string(y.size()) +
                                    " elements, reference has " +
                                    std::to_string(ref.exact.size()));
    }
    Metrics mt;
    mt.n = y.size();
    double ulp_sum = 0.0;
    double worst = -1.0;
    bool distribution = out == Output::softmax;  // finite reference with positive sum
    double ref_sum = 0.0;
    for (std::size_t i = 0; i < mt.n; ++i) {
        const double r = ref.exact[i];
        const float yi = y[i];
        if (!std::isfinite(r)) distribution = false;
        else ref_sum += r;

        // Special entries: NaN, +-inf, exact 0, and finite values beyond FLT_MAX whose correct
        // float is an infinity (only log_softmax of rows spanning more than FLT_MAX). All of
        // these demand an exact match.
        if (std::isnan(r)) {
            if (!std::isnan(yi)) ++mt.special_mismatches;
            continue;
        }
        if (std::isinf(r) || std::isinf(ref.rounded[i])) {
            if (static_cast<double>(yi) != static_cast<double>(ref.rounded[i])) {  // NaN: unequal
                ++mt.special_mismatches;
            }
            continue;
        }
        if (r == 0.0) {
            if (yi != 0.0f) ++mt.special_mismatches;  // NaN compares unequal too
            continue;
        }

        const double u = ulp_error(yi, r, ref.binade[i]);
        if (ref.binade[i] >= -126) {  // the exact value's band, not its double's
            ++mt.normal_count;
            ulp_sum += u;
            if (u > worst) {
                worst = u;
                mt.worst_index = i;
            }
            if (std::bit_cast<std::uint32_t>(yi) == std::bit_cast<std::uint32_t>(ref.rounded[i])) {
                ++mt.correctly_rounded;
            }
        } else {
            ++mt.subnormal_count;
            mt.max_ulp_subnormal = std::max(mt.max_ulp_subnormal, u);
            if (yi == 0.0f) ++mt.flushed;
        }
    }
    if (mt.normal_count > 0) {
        mt.max_ulp = worst;
        mt.mean_ulp = ulp_sum / static_cast<double>(mt.normal_count);
    }
    if (distribution && ref_sum > 0.0) {
        double sum = 0.0;
        for (float v : y) sum += static_cast<double>(v);
        const double err = std::fabs(sum - 1.0);
        mt.sum_error = std::isnan(err) ? kInf : err;  // a NaN output must not hide in max()
    }
    return mt;
}

}  // namespace smb::ref
