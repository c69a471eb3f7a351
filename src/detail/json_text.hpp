// Writing JSON text: the one implementation the CLI, the tuning file and the accuracy files use.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace smb::json {

// Shortest decimal text that reads back as the same value; "inf", "-inf", "nan" otherwise.
std::string number_text(double v);
std::string number_text(float v);
// A JSON number: JSON has no NaN or infinity, so those become null.
std::string number(double v);
std::string number(float v);
// Length of the valid UTF-8 sequence at s[i] (no overlong forms, no surrogates), or 0.
std::size_t utf8_length(std::string_view s, std::size_t i);
// A JSON string literal: quote, backslash and control characters escaped; bytes that are not
// valid UTF-8 become U+FFFD, so the result is always valid JSON.
std::string quote(std::string_view s);

}  // namespace smb::json
