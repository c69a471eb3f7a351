#!/usr/bin/env bash
# The element-wise loops that take a functor inline it: usage: check_inlined.sh LIBRARY BUILD_TYPE
# Every instantiation of smb::simd::map_row and Ops<...>::write_f64_halves (the output passes of
# every tier) in the compiled library calls nothing but memcpy/memset/memmove (the portable
# partial loads and stores of a row's tail may become one). GCC may otherwise keep a large
# lambda out of line and call it once per vector, spilling the batch and rebuilding every
# constant each time: the accurate tier's output pass lost 9-12 % at 1x65536 that way (its
# float-float writer called per 16 floats). Release builds only (exit 77 otherwise: without
# optimisation nothing is inlined). Needs objdump (binutils).
set -uo pipefail
lib="${1:?usage: check_inlined.sh LIBRARY BUILD_TYPE}"
build_type="${2:-}"
if [[ "$build_type" != "Release" ]]; then
    echo "SKIP: inlining is checked on Release builds only (this is '$build_type')"
    exit 77
fi
command -v objdump >/dev/null || { echo "FAIL: objdump not found (binutils)"; exit 1; }
objdump -dr --no-show-raw-insn -C "$lib" | awk '
    /^[0-9a-f]+ <.*>:$/ {
        name = $0; sub(/^[0-9a-f]+ </, "", name);
        watched = (name ~ /^void smb::simd::map_row</ || name ~ /smb::simd::Ops<.*>::write_f64_halves</);
        if (watched) functions++;
        next;
    }
    watched && /\tcall/ {
        insn = $0;
        if ((getline reloc) > 0 && reloc ~ /R_X86_64_PLT32\t(memcpy|memset|memmove)[-+]/) next;
        calls++;
        if (!(name in seen)) { seen[name] = 1; printf "FAIL: calls out of line: %.300s\n    %s\n    %s\n", name, insn, reloc; }
    }
    END {
        printf "%d functor loops checked, %d call instructions in them\n", functions, calls;
        if (functions == 0) { print "FAIL: no map_row instantiation found (renamed? not a Release build?)"; exit 1 }
        exit calls > 0;
    }'
