/* Throughput of 512-bit instructions next to 512-bit FMAs: how many FMA-pipe slots each costs.
 * The exp kernels' choices cite it (variants/simd/exp.hpp: ExpShiftPow2, ExpF64Lut; the
 * accurate float-float writer). Not part of the build; x86-64 with AVX-512F only:
 *
 *   gcc -O2 -mavx512f bench/uarch/pipes.c -o /tmp/pipes && /tmp/pipes [GHz]
 *
 * Each line runs 8 independent FMAs plus 8 of the instruction, 1e8 times, and prints cycles
 * per iteration at the given clock (default 3.668, what a dependent-add loop measured on the
 * development VM). 8.0 = the instruction rides along for free; 16 = it costs one FMA slot.
 * On the development machine (AMD EPYC, Zen 4, shared VM), one run: fma alone 8.1; + addps 8.0;
 * + scalefps 16.9; + cmpps->k 16.0; + permps 10.7; + permt2ps 14.1; + paddd 8.0; + pslld 8.0;
 * + cvtps2pd 12.9; + cvtpd2ps 12.3; + maxps 8.0; + mulps 16.0; + roundscaleps 8.0. So: one
 * 512-bit FMA and one 512-bit add per cycle side by side; scalef two FMA slots, a compare into
 * a mask and a multiply one each; integer shifts and adds, max and roundscale free here. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

#define N 100000000L
#define F8 "vfmadd231ps %%zmm15,%%zmm15,%%zmm0\n vfmadd231ps %%zmm15,%%zmm15,%%zmm1\n " \
           "vfmadd231ps %%zmm15,%%zmm15,%%zmm2\n vfmadd231ps %%zmm15,%%zmm15,%%zmm3\n " \
           "vfmadd231ps %%zmm15,%%zmm15,%%zmm4\n vfmadd231ps %%zmm15,%%zmm15,%%zmm5\n " \
           "vfmadd231ps %%zmm15,%%zmm15,%%zmm6\n vfmadd231ps %%zmm15,%%zmm15,%%zmm7\n "
#define X8(op) op "8\n " op "9\n " op "10\n " op "11\n " op "12\n " op "13\n " op "8\n " op "9\n "
#define BENCH(name, body)                                                                        \
    do {                                                                                         \
        double a = now();                                                                        \
        for (long i = 0; i < N; i++)                                                             \
            __asm__ volatile(body ::: "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6",     \
                             "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "k1");  \
        printf("%-24s %6.2f cycles/iteration\n", name, (now() - a) * ghz * 1e9 / N);             \
    } while (0)

int main(int argc, char** argv) {
    const double ghz = argc > 1 ? atof(argv[1]) : 3.668;
    __asm__ volatile("vpxord %%zmm15,%%zmm15,%%zmm15\n vpxord %%zmm14,%%zmm14,%%zmm14" ::: "xmm14", "xmm15");
    BENCH("8 fma", F8);
    BENCH("+ 8 addps", F8 X8("vaddps %%zmm15,%%zmm14,%%zmm"));
    BENCH("+ 8 scalefps", F8 X8("vscalefps %%zmm15,%%zmm14,%%zmm"));
    BENCH("+ 8 cmpps->k", F8 "vcmpps $5,%%zmm15,%%zmm8,%%k1\n vcmpps $5,%%zmm15,%%zmm9,%%k1\n "
                              "vcmpps $5,%%zmm15,%%zmm10,%%k1\n vcmpps $5,%%zmm15,%%zmm11,%%k1\n "
                              "vcmpps $5,%%zmm15,%%zmm12,%%k1\n vcmpps $5,%%zmm15,%%zmm13,%%k1\n "
                              "vcmpps $5,%%zmm15,%%zmm8,%%k1\n vcmpps $5,%%zmm15,%%zmm9,%%k1\n ");
    BENCH("+ 8 permps", F8 X8("vpermps %%zmm15,%%zmm14,%%zmm"));
    BENCH("+ 8 permt2ps", F8 X8("vpermt2ps %%zmm15,%%zmm14,%%zmm"));
    BENCH("+ 8 paddd", F8 X8("vpaddd %%zmm15,%%zmm14,%%zmm"));
    BENCH("+ 8 pslld", F8 X8("vpslld $3,%%zmm15,%%zmm"));
    BENCH("+ 8 cvtps2pd", F8 X8("vcvtps2pd %%ymm15,%%zmm"));
    BENCH("+ 8 cvtpd2ps", F8 X8("vcvtpd2ps %%zmm15,%%ymm"));
    BENCH("+ 8 maxps", F8 X8("vmaxps %%zmm15,%%zmm14,%%zmm"));
    BENCH("+ 8 mulps", F8 X8("vmulps %%zmm15,%%zmm14,%%zmm"));
    BENCH("+ 8 roundscaleps", F8 X8("vrndscaleps $0,%%zmm15,%%zmm"));
    return 0;
}
