// The tuning table (src/include/softmaxbench/tuning.hpp): size classes, the JSON round trip,
// the reader's error messages, and which file load_default() uses.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>

#include "detail/machine_id.hpp"
#include "softmaxbench/softmax.hpp"
#include "softmaxbench/tuning.hpp"

using namespace smb;

namespace {

tuning::Table sample_table() {
    tuning::Table t;
    t.machine_id = machine_id();
    t.cpu_model = "Test \"CPU\" \\ model\twith\ttabs, \x01 control and UTF-8 \xc3\xa9\xe2\x82\xac";
    t.git_commit = "0123456789ab-dirty";
    t.date = "2025-01-31T12:34:56Z";
    const auto classes = tuning::size_classes();
    for (const auto& c : classes) {
        for (int threads : {1, 2}) {
            tuning::Entry e;
            e.cols_min = c.cols_min;
            e.cols_max = c.cols_max;
            e.threads = threads;
            e.tier = threads == 1 ? "fast" : "accurate";
            e.variant = threads == 1 ? "online.scalar" : "max_shifted.scalar";
            e.items_per_second = 1.0 / 3.0 * 1e9 * double(threads) + double(c.cols_min) * 0.1;
            e.max_ulp = threads == 1 ? 0.51 : 1.5;
            t.entries.push_back(e);
        }
    }
    return t;
}

// The message parse() throws for `json`, or "" when it does not throw.
std::string parse_error(const std::string& json) {
    try {
        tuning::parse(json);
    } catch (const std::runtime_error& e) {
        return e.what();
    }
    return "";
}

// The sample table's JSON with the first occurrence of `from` replaced by `to`.
std::string edited(const std::string& from, const std::string& to) {
    std::string s = tuning::to_json(sample_table());
    const std::size_t at = s.find(from);
    REQUIRE(at != std::string::npos);
    return s.replace(at, from.size(), to);
}

// Sets an environment variable for the scope, restoring the previous value.
class ScopedEnv {
public:
    ScopedEnv(const char* name, const std::string& value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        ::setenv(name, value.c_str(), 1);
    }
    ~ScopedEnv() {
        if (old_) ::setenv(name_, old_->c_str(), 1);
        else ::unsetenv(name_);
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

private:
    const char* name_;
    std::optional<std::string> old_;
};

void write_file(const std::filesystem::path& p, const std::string& text) {
    std::ofstream(p, std::ios::binary) << text;
}

}  // namespace

TEST_CASE("size classes cover [1, SIZE_MAX] without gaps or overlap, probes inside") {
    const auto cs = tuning::size_classes();
    REQUIRE(cs.size() == 6);
    CHECK(cs.front().cols_min == 1);
    CHECK(cs.back().cols_max == SIZE_MAX);
    for (std::size_t i = 0; i < cs.size(); ++i) {
        INFO("class " << i);
        CHECK(cs[i].cols_min <= cs[i].cols_max);
        CHECK(cs[i].probe_cols >= cs[i].cols_min);
        CHECK(cs[i].probe_cols <= cs[i].cols_max);
        if (i > 0) CHECK(cs[i].cols_min == cs[i - 1].cols_max + 1);
    }
    const std::size_t probes[] = {64, 1024, 16384, 262144, 4194304, 16777216};
    const std::size_t maxes[] = {64, 1024, 16384, 262144, 4194304, SIZE_MAX};
    for (std::size_t i = 0; i < cs.size(); ++i) {
        CHECK(cs[i].probe_cols == probes[i]);
        CHECK(cs[i].cols_max == maxes[i]);
    }
}

TEST_CASE("parse(to_json(t)) gives t back") {
    const tuning::Table t = sample_table();
    const std::string json = tuning::to_json(t);
    const tuning::Table u = tuning::parse(json);
    CHECK(u.machine_id == t.machine_id);
    CHECK(u.cpu_model == t.cpu_model);
    CHECK(u.git_commit == t.git_commit);
    CHECK(u.date == t.date);
    REQUIRE(u.entries.size() == t.entries.size());
    for (std::size_t i = 0; i < t.entries.size(); ++i) {
        INFO("entry " << i);
        CHECK(u.entries[i].cols_min == t.entries[i].cols_min);
        CHECK(u.entries[i].cols_max == t.entries[i].cols_max);  // SIZE_MAX survives (no double)
        CHECK(u.entries[i].threads == t.entries[i].threads);
        CHECK(u.entries[i].tier == t.entries[i].tier);
        CHECK(u.entries[i].variant == t.entries[i].variant);
        CHECK(u.entries[i].items_per_second == t.entries[i].items_per_second);  // bit for bit
        CHECK(u.entries[i].max_ulp == t.entries[i].max_ulp);
    }
    CHECK(tuning::to_json(u) == json);

    tuning::Table empty;
    CHECK(tuning::parse(tuning::to_json(empty)).entries.empty());
}

TEST_CASE("parse accepts any JSON layout and ignores unknown keys") {
    const std::string json =
        " {\"entries\":[{\"cols_min\":1,\"cols_max\":64,\"threads\":1,\"tier\":\"fast\",\"extra\":[1,{\"a\":null}],"
        "\"variant\":\"online.scalar\",\"items_per_second\":1.5e9,\"max_ulp\":5.1E-1}],\r\n"
        "\"machine_id\":\"m\\u00e9\\ud83d\\ude00\",\"cpu_model\":\"\\/\",\"git_commit\":\"g\",\"date\":\"d\","
        "\"future\":true} \n";
    const tuning::Table t = tuning::parse(json);
    CHECK(t.machine_id == "m\xc3\xa9\xf0\x9f\x98\x80");
    CHECK(t.cpu_model == "/");
    REQUIRE(t.entries.size() == 1);
    CHECK(t.entries[0].items_per_second == 1.5e9);
    CHECK(t.entries[0].max_ulp == 0.51);
}

TEST_CASE("parse errors name what is wrong") {
    struct Bad {
        const char* what;
        std::string json;
        const char* message;  // must appear in the error
    };
    const Bad bad[] = {
        {"not JSON at all", "this is not json", "not JSON: unexpected 't', expected a value at line 1, column 1"},
        {"empty input", "", "not JSON: unexpected end of input"},
        {"truncated", tuning::to_json(sample_table()).substr(0, 100), "not JSON"},
        {"top level not an object", "[1, 2]", "expected a JSON object at the top, got an array"},
        {"missing top-level key", edited("\"git_commit\"", "\"git_commit_\""), "missing key 'git_commit'"},
        {"missing entry key", edited("\"variant\": \"online.scalar\", ", ""), "entries[0]: missing key 'variant'"},
        {"wrong type (string for integer)", edited("\"threads\": 1", "\"threads\": \"1\""),
         "entries[0].threads: expected a non-negative integer, got a string"},
        {"wrong type (fraction for integer)", edited("\"cols_min\": 1,", "\"cols_min\": 1.5,"),
         "entries[0].cols_min: expected a non-negative integer, got 1.5"},
        {"wrong type (number for string)", edited("\"date\": \"2025-01-31T12:34:56Z\"", "\"date\": 2025"),
         "date: expected a string, got a number"},
        {"wrong type (entries not an array)", R"({"machine_id":"","cpu_model":"","git_commit":"","date":"","entries":{}})",
         "entries: expected an array, got an object"},
        {"unknown variant", edited("\"online.scalar\"", "\"no_such.variant\""),
         "entries[0].variant: unknown variant 'no_such.variant'"},
        {"auto as a winner", edited("\"online.scalar\"", "\"auto\""), "entries[0].variant: 'auto' is an auto entry"},
        {"unsafe winner", edited("\"online.scalar\"", "\"naive.scalar\""), "'naive.scalar' is in the unsafe tier"},
        {"unknown tier", edited("\"tier\": \"fast\"", "\"tier\": \"fastest\""), "entries[0].tier: unknown tier 'fastest'"},
        {"cols_min > cols_max", edited("\"cols_min\": 1,", "\"cols_min\": 100,"), "cols_min 100 > cols_max 64"},
        {"threads 0", edited("\"threads\": 1", "\"threads\": 0"), "entries[0].threads: 0 is out of range"},
        {"integer beyond 64 bits", edited("\"cols_min\": 1,", "\"cols_min\": 18446744073709551616,"), "out of range"},
        {"trailing garbage", tuning::to_json(sample_table()) + "x",
         "not JSON: unexpected text after the JSON value"},
        {"two documents", tuning::to_json(sample_table()) + "{}", "unexpected text after the JSON value"},
        {"trailing comma", edited("\"max_ulp\": 0.51}", "\"max_ulp\": 0.51,}"), "expected a string key"},
        {"duplicate key", edited("\"threads\": 1", "\"threads\": 1, \"threads\": 2"), "duplicate key \"threads\""},
        {"single quotes", "{'machine_id': 1}", "expected a string key"},
        {"bad escape", edited("\"g", "\"\\x"), "unknown escape '\\x'"},
        {"lone surrogate", edited("\"g", "\"\\udc00"), "lone low surrogate"},
        {"raw control character", edited("\"g", "\"\x01"), "control character in a string"},
        {"invalid UTF-8", edited("\"g", "\"\xc3("), "invalid UTF-8"},
        {"leading zero", edited("\"threads\": 1", "\"threads\": 01"), "leading zero"},
        {"NaN literal", edited("\"max_ulp\": 0.51", "\"max_ulp\": NaN"), "expected a value"},
        {"unsupported format", edited("\"format\": 1", "\"format\": 2"), "unsupported format 2"},
    };
    for (const Bad& b : bad) {
        INFO(b.what << "\njson: " << b.json.substr(0, 300));
        const std::string msg = parse_error(b.json);
        INFO("message: " << msg);
        CHECK(msg.find(b.message) != std::string::npos);
        CHECK(msg.find('\n') == std::string::npos);  // one line
    }
    // Line and column point at the problem.
    CHECK(parse_error("{\n  \"a\": 1,\n  \"b\" 2}").find("at line 3, column 7") != std::string::npos);
    // Deep nesting is an error, not a stack overflow.
    CHECK(parse_error(std::string(100000, '[')).find("nesting deeper than") != std::string::npos);
}

TEST_CASE("load_default honours SOFTMAXBENCH_TUNING and ignores another machine's file") {
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / ("smb_test_tuning_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    const fs::path mine = dir / "mine.json", other = dir / "other.json", broken = dir / "broken.json";
    tuning::Table t = sample_table();
    write_file(mine, tuning::to_json(t));
    t.machine_id = "some-other-cpu-abcdef";
    write_file(other, tuning::to_json(t));
    write_file(broken, "{\"machine_id\": ");

    {
        ScopedEnv env("SOFTMAXBENCH_TUNING", mine.string());
        CHECK(tuning::default_path() == mine.string());
        std::string why;
        const std::optional<tuning::Table> got = tuning::load_default(&why);
        INFO(why);
        REQUIRE(got.has_value());
        CHECK(got->entries.size() == sample_table().entries.size());
        CHECK(why.find("using " + mine.string()) == 0);
        CHECK_NOTHROW(tuning::load_default());  // why may be null
    }
    {
        ScopedEnv env("SOFTMAXBENCH_TUNING", other.string());
        std::string why;
        CHECK_FALSE(tuning::load_default(&why).has_value());
        INFO(why);
        CHECK(why.find("not using " + other.string()) == 0);
        CHECK(why.find("some-other-cpu-abcdef") != std::string::npos);
        CHECK(why.find(machine_id()) != std::string::npos);
    }
    {
        ScopedEnv env("SOFTMAXBENCH_TUNING", broken.string());
        std::string why;
        CHECK_FALSE(tuning::load_default(&why).has_value());
        INFO(why);
        CHECK(why.find("not using " + broken.string() + ": not JSON") == 0);
    }
    {
        ScopedEnv env("SOFTMAXBENCH_TUNING", (dir / "missing.json").string());
        std::string why;
        CHECK_FALSE(tuning::load_default(&why).has_value());
        CHECK(why.find("does not exist") != std::string::npos);
    }
    {
        // Without SOFTMAXBENCH_TUNING: $XDG_CONFIG_HOME/softmaxbench/tuning-<machine_id>.json.
        ScopedEnv env("SOFTMAXBENCH_TUNING", "");
        ScopedEnv xdg("XDG_CONFIG_HOME", dir.string());
        const fs::path want = dir / "softmaxbench" / ("tuning-" + machine_id() + ".json");
        CHECK(tuning::default_path() == want.string());
        CHECK_FALSE(tuning::load_default().has_value());
        fs::create_directories(want.parent_path());
        fs::copy_file(mine, want);
        std::string why;
        CHECK(tuning::load_default(&why).has_value());
        CHECK(why.find("using " + want.string()) == 0);
    }
    {
        ScopedEnv env("SOFTMAXBENCH_TUNING", "");
        ScopedEnv xdg("XDG_CONFIG_HOME", "");
        ScopedEnv home("HOME", dir.string());
        CHECK(tuning::default_path() == (dir / ".config" / "softmaxbench" / ("tuning-" + machine_id() + ".json")).string());
    }
    fs::remove_all(dir);
}
