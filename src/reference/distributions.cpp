#include "reference/distributions.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace smb::ref {
namespace {

constexpr Distribution kDistributions[] = {
    {"normal_0.1", "N(0, 0.1^2): nearly equal logits"},
    {"normal_1", "N(0, 1)"},
    {"normal_5", "N(0, 5^2)"},
    {"normal_20", "N(0, 20^2): outputs span the whole float range, many below FLT_MIN"},
    {"uniform", "U(-10, 10)"},
    {"offset_1e4", "1e4 + N(0, 1): large logits; overflows an unshifted exp"},
    {"dominant", "N(0, 1) with one logit 25 above the rest (log_softmax output near 0)"},
    {"ties", "N(0, 1) with a quarter of the entries equal to the maximum"},
    {"near_uniform", "1 + N(0, 1e-3^2): long rows of almost equal logits"},
};

// splitmix64: small, fast, and the same everywhere.
struct Rng {
    std::uint64_t s;
    std::uint64_t next() {
        std::uint64_t z = (s += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    double uniform01() { return double(next() >> 11) * 0x1.0p-53; }  // [0, 1)
    double normal() {  // Box-Muller, one value per call
        const double u1 = 1.0 - uniform01(), u2 = uniform01();
        return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
    }
};

std::uint64_t name_hash(std::string_view s) {
    std::uint64_t h = 1469598103934665603ull;
    for (char c : s) h = (h ^ std::uint8_t(c)) * 1099511628211ull;
    return h;
}

}  // namespace

std::span<const Distribution> distributions() { return kDistributions; }

const Distribution* find_distribution(std::string_view name) {
    for (const auto& d : kDistributions)
        if (d.name == name) return &d;
    return nullptr;
}

std::vector<float> make_row(std::string_view dist, std::size_t n, std::uint64_t seed) {
    if (!find_distribution(dist)) throw std::invalid_argument("unknown distribution '" + std::string(dist) + "'");
    Rng rng{seed ^ name_hash(dist) ^ (std::uint64_t(n) * 0xD1B54A32D192ED03ull)};
    std::vector<float> x(n);
    auto normal = [&](double sigma, double mean = 0) {
        for (auto& v : x) v = float(mean + sigma * rng.normal());
    };
    if (dist == "normal_0.1") normal(0.1);
    else if (dist == "normal_1") normal(1);
    else if (dist == "normal_5") normal(5);
    else if (dist == "normal_20") normal(20);
    else if (dist == "uniform") for (auto& v : x) v = float(-10.0 + 20.0 * rng.uniform01());
    else if (dist == "offset_1e4") normal(1, 1e4);
    else if (dist == "near_uniform") normal(1e-3, 1);
    else if (dist == "dominant") {
        normal(1);
        if (n > 0) {
            const float mx = *std::max_element(x.begin(), x.end());
            x[rng.next() % n] = mx + 25.0f;
        }
    } else if (dist == "ties") {
        normal(1);
        if (n > 0) {
            const float mx = *std::max_element(x.begin(), x.end());
            for (std::size_t i = 0; i < n; i += 4) x[(i + rng.next() % 4) % n] = mx;
        }
    }
    return x;
}

std::vector<std::size_t> test_sizes() {
    std::vector<std::size_t> s;
    for (std::size_t n = 1; n <= 33; ++n) s.push_back(n);
    for (std::size_t n : {64, 65, 1000, 4096, 65537}) s.push_back(n);
    return s;
}

}  // namespace smb::ref
