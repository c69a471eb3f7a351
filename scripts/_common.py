"""Shared helpers of the plot and report scripts (scripts/plot_*.py, scripts/make_report.py).

Readers for every raw file in results/<machine-id>/ -- the one bench JSON reader
(load_bench), accuracy.csv / accuracy.json / accuracy-special.csv, tuning.json and
reproduce.json -- plus naming, colours and atomic writing. Standard library only; matplotlib is
imported by pyplot() for the plot scripts.

Every reader raises InputError with a one-line message on missing or malformed input; run_main()
turns that into "<script>: error: <message>" on stderr and exit status 1.
"""
from __future__ import annotations

import argparse
import csv
import importlib
import json
import math
import os
import re
import statistics
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

INSTALL_HINT = "sudo apt-get install python3-matplotlib python3-numpy"

# Peers of the benchmark (bench/softmax_bench.cpp, kPeers) and the output each computes.
PEER_OUTPUT = {"onednn": "softmax", "xnnpack": "softmax", "memcpy": "softmax",
               "onednn_log": "log_softmax"}
PEER_LABEL = {"onednn": "oneDNN", "onednn_log": "oneDNN", "xnnpack": "XNNPACK",
              "memcpy": "memcpy"}
# PyTorch (bench/peers/pytorch.cpp; "pytorch.avx512" etc. with a forced ATen capability) and the
# NumPy/SciPy peers of scripts/bench_numpy.py (merged into the same JSON by scripts/bench.sh).
PEER_OUTPUT.update({"pytorch": "softmax", "pytorch_api": "softmax", "numpy_guide": "softmax",
                    "numpy_guide_stable": "softmax", "numpy_guide_batch": "softmax",
                    "numpy_wandb": "softmax", "scipy": "softmax"})
PEER_LABEL.update({"pytorch": "PyTorch", "pytorch_api": "torch::softmax",
                   "numpy_guide": "NumPy (guide)", "numpy_guide_stable": "NumPy (guide, stable)",
                   "numpy_guide_batch": "NumPy (guide, batch)", "numpy_wandb": "NumPy (W&B)",
                   "scipy": "SciPy"})
# The comparison peers per output (memcpy is the bandwidth reference, not a competitor).
RIVALS = {"softmax": ("onednn", "xnnpack"), "log_softmax": ("onednn_log",)}
# Every fact about our variants (algorithms, ISAs, bounds, tiers, their order) comes from the
# registry as `softmaxbench list --json` prints it: the benchmark records it in its context
# (key "variants") and reproduce.sh saves it as variants.json; nothing here copies a table.
# "Accurate tier" in throughput comparisons: documented max ULP error within the registry's
# kAccurateMaxUlp (`accurate_max_ulp` in the list; BenchRun.accurate_max_ulp()). A run whose
# registry does not record it is an error, never a default.

_TIME_UNIT_S = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
_BENCH_NAME = re.compile(r"^bench-(\d{8}-\d{6})\.json$")


class InputError(Exception):
    """Missing or malformed input; the message is one line."""


# ---- command line -----------------------------------------------------------------------------

def arg_parser(description: str, bench: bool = True) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--results", required=True, type=Path,
                   help="a results/<machine-id> folder")
    p.add_argument("--out", type=Path, help="output folder (default: the --results folder)")
    if bench:
        p.add_argument("--bench", type=Path,
                       help="the bench JSON to use (default: the newest bench-*.json in --results)")
    return p


def run_main(main) -> None:
    """Calls main(); an InputError becomes a one-line error and exit status 1."""
    prog = Path(sys.argv[0]).name
    try:
        main()
    except InputError as e:
        print(f"{prog}: error: {one_line(str(e))}", file=sys.stderr)
        sys.exit(1)


def one_line(s: str) -> str:
    return " ".join(s.split())


def results_dir(path: Path) -> Path:
    if not path.is_dir():
        raise InputError(f"results folder {path} does not exist")
    return path


def out_dir(args) -> Path:
    out = args.out or args.results
    out.mkdir(parents=True, exist_ok=True)
    return out


# ---- atomic output ----------------------------------------------------------------------------

def write_atomic(path: Path, data: bytes | str) -> None:
    """Writes to a temporary file next to path, then renames it over path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def save_figure(fig, path: Path) -> None:
    """Saves a matplotlib figure as PNG atomically and prints the path."""
    import io
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    write_atomic(path, buf.getvalue())
    print(path)


def grouped_bar_figure(out: Path, xticklabels: list[str], series: list[tuple[str, list[float]]], title: str,
                       width_per_group: float, tick_fontsize: int | None = None) -> Path:
    """One figure of grouped bars on a log axis (G elem/s): a group per x tick, a bar per series
    (label, one value per tick), saved as PNG at `out` (the op sections' figures)."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(max(6, width_per_group * len(xticklabels)), 4.5))
    width = 0.8 / len(series)
    for j, (label, ys) in enumerate(series):
        ax.bar([i + (j - len(series) / 2 + 0.5) * width for i in range(len(xticklabels))], ys, width, label=label)
    ax.set_xticks(range(len(xticklabels)))
    if tick_fontsize is None:
        ax.set_xticklabels(xticklabels)
    else:
        ax.set_xticklabels(xticklabels, fontsize=tick_fontsize)
    ax.set_yscale("log")
    ax.set_ylabel("G elem/s (log)")
    ax.set_title(title)
    ax.legend(fontsize=8, ncol=2)
    fig.tight_layout()
    save_figure(fig, out)  # prints the path
    plt.close(fig)
    return out


def pyplot():
    """matplotlib.pyplot on the Agg backend, or an InputError naming what to install."""
    try:
        importlib.import_module("numpy")  # first, so a missing numpy is named as such
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as e:
        raise InputError(f"{sys.executable} cannot import {e.name or 'matplotlib'}; run this "
                         f"script through scripts/pyrun.sh, or install: {INSTALL_HINT}") from e
    plt.rcParams.update({"figure.dpi": 110, "axes.grid": True, "grid.alpha": 0.3,
                         "font.size": 9, "axes.titlesize": 10, "legend.fontsize": 7.5})
    return plt


# ---- names ------------------------------------------------------------------------------------

def is_peer(impl: str) -> bool:
    # "pytorch.avx512": a peer with the capability it was forced to (bench/README.md).
    return impl in PEER_OUTPUT or impl.split(".")[0] in ("pytorch", "pytorch_api")


def parse_variant(name: str) -> tuple[str, str, str]:
    """By the name grammar <algorithm>.<isa>[.<exp>][.<tier>][.<dtype>] (auto: auto[.<tier>]):
    'max_shifted.avx2.poly6' -> ('max_shifted', 'avx2', 'poly6'); 'auto.accurate' -> ('auto', '',
    'accurate'); missing parts are ''."""
    algorithm, *rest = name.split(".")
    isa = rest.pop(0) if rest and algorithm != "auto" else ""
    return algorithm, isa, ".".join(rest)


def isa_preference(dispatch: str, registries=(), names=()) -> list[str]:
    """ISAs to try, most preferred first: the dispatch ISA, then the registry's ISA table from
    the widest down (`list --json` order is least preferred first), then any other ISA the
    variant names mention (by the name grammar), last seen first. No ISA table is copied here."""
    order = [dispatch] if dispatch else []
    for reg in registries:
        for isa in reversed(list(dict.fromkeys(str(v.get("isa", "")) for v in reg))):
            if isa and isa not in order:
                order.append(isa)
    for isa in reversed(list(dict.fromkeys(parse_variant(n)[1] for n in names))):
        if isa and isa not in order:
            order.append(isa)
    return order


def is_auto(variant: str) -> bool:
    """The `auto` dispatchers: they run the variant the tuning table picks."""
    return parse_variant(variant)[0] == "auto"


def algorithm_colour(algorithm: str) -> str:
    known = {"naive": "tab:red", "max_shifted": "tab:blue", "online": "tab:green",
             "log_sum_exp": "tab:orange", "two_pass": "tab:purple", "guarded": "tab:brown", "auto": "tab:pink"}
    extra = ("tab:olive", "tab:cyan", "tab:gray")
    return known.get(algorithm, extra[sum(map(ord, algorithm)) % len(extra)])


_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def isa_marker(registry: list, isa: str) -> str:
    """A marker per ISA by its place in the registry's ISA order (least preferred first, as
    `list --json` gives it; no ISA table here); 'x' for one the registry does not list."""
    order = list(dict.fromkeys(str(v.get("isa", "")) for v in registry))
    k = order.index(isa) if isa in order else len(_MARKERS)
    return _MARKERS[k] if k < len(_MARKERS) else "x"


def suffix_linestyle(suffix: str):
    return {"": "-", "poly6": "--", "p6": "--", "xsimd": ":", "accurate": "-."}.get(suffix, (0, (5, 1, 1, 1)))


def peer_style(impl: str) -> dict:
    if impl == "memcpy":
        return dict(color="0.55", lw=4.5, alpha=0.45, ls="-", marker=None,
                    label="memcpy (bandwidth reference)", zorder=1)
    if impl.startswith("onednn"):
        return dict(color="black", lw=2, ls="-", marker="*", ms=7, label="oneDNN", zorder=3)
    if impl.startswith("pytorch"):
        return dict(color="tab:red" if "." in impl else "darkred", lw=2,
                    ls="-." if impl.startswith("pytorch_api") else "-", marker="X", ms=6,
                    label=impl.replace("pytorch_api", "torch::softmax").replace("pytorch", "PyTorch"),
                    zorder=3)
    if impl.startswith(("numpy", "scipy")):
        return dict(color="0.6", lw=1.5, ls=":", marker="v", ms=5,
                    label=PEER_LABEL.get(impl, impl), zorder=3)
    return dict(color="0.35", lw=2, ls="--", marker="P", ms=6, label="XNNPACK", zorder=3)


def log_axis(ax, which: str = "y") -> None:
    """Log scale with plain-number labels at 1, 2, 5 x 10^k (easier to read off than 10^k)."""
    (ax.set_yscale if which == "y" else ax.set_xscale)("log")
    plain_log_ticks(ax.yaxis if which == "y" else ax.xaxis)


def plain_log_ticks(axis) -> None:
    """Ticks at 1, 2, 5 x 10^k over spans up to 4 decades, else one per decade (or fewer);
    plain numbers from 0.001 to 10^5, else like 1e7."""
    from matplotlib import ticker
    lo, hi = sorted(abs(v) for v in axis.get_view_interval())
    wide = lo > 0 and hi / lo > 1e4
    axis.set_major_locator(ticker.LogLocator(subs=(1.0,) if wide else (1.0, 2.0, 5.0),
                                             numticks=10))
    axis.set_major_formatter(ticker.FuncFormatter(lambda v, _: fmt_tick(v)))
    axis.set_minor_formatter(ticker.NullFormatter())


def fmt_tick(v: float) -> str:
    if v <= 0 or 1e-3 <= v < 1e5:
        return f"{v:g}"
    return f"1e{round(math.log10(v))}" if f"{v:.0e}".startswith("1e") else f"{v:.0e}"


def fmt_size(n: int) -> str:
    """4096 -> '4K', 16777216 -> '16M', 32000 -> '32000'."""
    for unit, scale in (("M", 1 << 20), ("K", 1 << 10)):
        if n >= scale and n % scale == 0:
            return f"{n // scale}{unit}"
    return str(n)


def fmt_num(x: float | None, digits: int = 3) -> str:
    """Short number: 3 significant digits ('0.503', '68', '246'), '1.6e7' from 10^4 up."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    if math.isinf(x):
        return "inf"
    if x == 0:
        return "0"
    if abs(x) >= 1e4:
        mantissa, exponent = f"{x:.1e}".split("e")
        return f"{mantissa}e{int(exponent)}"
    return f"{x:.{digits}g}" if abs(x) < 10 ** digits else f"{x:.0f}"


# ---- the bench JSON ---------------------------------------------------------------------------

@dataclass(frozen=True, order=True)
class Shape:
    rows: int
    cols: int
    threads: int = 1

    @property
    def label(self) -> str:
        s = f"{self.rows}x{self.cols}"
        return s if self.threads == 1 else f"{s} ({self.threads} threads)"

    @property
    def short(self) -> str:
        """'1x16M', '4096x128 2t': for plot labels."""
        s = f"{self.rows}x{fmt_size(self.cols)}"
        return s if self.threads == 1 else f"{s} {self.threads}t"


@dataclass
class Result:
    """One benchmark (impl, output, shape): the median over repetitions when there are any."""
    impl: str       # registry variant name or peer, without ':log'
    output: str     # 'softmax' | 'log_softmax'
    shape: Shape
    items_per_second: float | None = None  # Google Benchmark's counter (CPU time for 1 thread)
    real_time_s: float | None = None        # wall-clock seconds per iteration
    label: str = ""
    error: str | None = None
    cv: float | None = None  # coefficient of variation over repetitions, when aggregated
    max_ulp: float | None = None  # counter max_ulp: row 0's normal-band max ULP (ours and peers)

    @property
    def ok(self) -> bool:
        return self.error is None and bool(self.items_per_second)

    @property
    def gelems(self) -> float:
        return self.items_per_second / 1e9

    @property
    def real_gelems(self) -> float | None:
        """Elements per wall-clock second, / 1e9 (for 1-vs-N thread comparisons)."""
        if not self.real_time_s:
            return None
        return self.shape.rows * self.shape.cols / self.real_time_s / 1e9

    @property
    def peer(self) -> bool:
        return is_peer(self.impl)


@dataclass
class BenchRun:
    path: Path
    context: dict
    results: list[Result]
    statistic: str                    # how each number was obtained, for the report
    bounds: dict = field(default_factory=dict)   # (variant, output) -> documented max ULP
    tiers: dict = field(default_factory=dict)    # variant -> registry tier, when known
    registry: list = field(default_factory=list)  # the list's objects, in registry order

    @property
    def commit(self) -> str:
        return str(self.context.get("git_commit", "unknown"))

    def find(self, impl: str, output: str, shape: Shape) -> Result | None:
        for r in self.results:
            if r.impl == impl and r.output == output and r.shape == shape:
                return r
        return None

    def shapes(self, output: str = "softmax") -> list[Shape]:
        return sorted({r.shape for r in self.results if r.output == output})

    def scaled_shapes(self, output: str = "softmax") -> list[Shape]:
        """The shapes timed with more than one thread whose 1-thread twin (same rows and cols)
        was timed too; timed = at least one result of that output without error."""
        timed = {r.shape for r in self.results if r.output == output and r.ok}
        return sorted(s for s in timed
                      if s.threads > 1 and Shape(s.rows, s.cols, 1) in timed)

    def thread_speedup(self, impl: str, output: str, shape: Shape) -> float | None:
        """impl's wall-clock throughput on shape over its throughput on shape's 1-thread twin;
        None unless both runs are timed (ok) and have a real time."""
        one = self.find(impl, output, Shape(shape.rows, shape.cols, 1))
        many = self.find(impl, output, shape)
        if one is None or many is None or not (one.ok and many.ok):
            return None
        if not (one.real_gelems and many.real_gelems):
            return None
        return many.real_gelems / one.real_gelems

    def accurate_max_ulp(self) -> float:
        """The accurate tier's bound, from this run's registry (an InputError when it has none)."""
        return accurate_max_ulp(self.registry, str(self.path))

    def unsafe(self, variant: str) -> bool:
        """Tier 'unsafe' in the registry (naive: no max shift, overflows for logits above ~88.7);
        a variant the registry does not know is not called unsafe."""
        return self.tiers.get(variant, "") == "unsafe"

    def rank(self, key: str, value: str) -> int:
        """Position of an algorithm or ISA (key "algorithm" / "isa") in registry order."""
        order = list(dict.fromkeys(str(v.get(key, "")) for v in self.registry))
        return order.index(value) if value in order else len(order)

    def ours(self, output: str, shape: Shape) -> list[Result]:
        """Our timed variants on shape that can be "our fastest": not the unsafe tier, not the
        auto dispatchers (they run one of the others)."""
        return [r for r in self.results if not r.peer and r.ok and r.output == output
                and r.shape == shape and not self.unsafe(r.impl) and not is_auto(r.impl)]

    def fastest(self, output: str, shape: Shape, max_ulp: float | None = None) -> Result | None:
        """Our fastest variant on shape; with max_ulp, only variants documented within it."""
        cands = [r for r in self.ours(output, shape)
                 if max_ulp is None or self.bound(r.impl, output) <= max_ulp]
        return max(cands, key=lambda r: r.items_per_second, default=None)

    def bound(self, variant: str, output: str = "softmax") -> float:
        return self.bounds.get((variant, output), math.inf)


def bench_files(folder: Path) -> list[Path]:
    """bench-*.json in folder, oldest first (by the UTC time in the name, else mtime)."""
    def when(p: Path) -> datetime:
        m = _BENCH_NAME.match(p.name)
        if m:
            return datetime.strptime(m.group(1), "%Y%m%d-%H%M%S").replace(tzinfo=timezone.utc)
        return datetime.fromtimestamp(p.stat().st_mtime, timezone.utc)
    return sorted(folder.glob("bench-*.json"), key=when)


def choose_bench(folder: Path, explicit: Path | None) -> Path:
    if explicit is not None:
        if not explicit.is_file():
            raise InputError(f"bench file {explicit} does not exist")
        return explicit
    files = bench_files(results_dir(folder))
    if not files:
        raise InputError(f"no bench-*.json in {folder} (run scripts/bench.sh or "
                         f"scripts/reproduce.sh first)")
    return files[-1]


def parse_name(name: str) -> tuple[str, str, Shape] | None:
    """'online.avx2:log/1/4096' -> ('online.avx2', 'log_softmax', Shape(1, 4096, 1)); threaded
    names end in '/<threads>/real_time'. None for a name of another form."""
    parts = name.split("/")
    nums = []
    for p in parts[1:]:
        if p.isdigit():
            nums.append(int(p))
        elif p != "real_time" and ":" not in p:  # e.g. 'repeats:5', 'min_time:0.1'
            return None
    if len(nums) not in (2, 3):
        return None
    impl = parts[0]
    if ":" in impl and not impl.endswith(":log"):
        return None  # another op's entry (e.g. backward.avx512:softmax_backward, ce_fused.avx512:cross_entropy): not a softmax row
    output = PEER_OUTPUT.get(impl, "softmax")
    if impl.endswith(":log"):
        impl, output = impl[:-4], "log_softmax"
    return impl, output, Shape(nums[0], nums[1], nums[2] if len(nums) == 3 else 1)


def _seconds(row: dict) -> float | None:
    t, unit = row.get("real_time"), row.get("time_unit", "ns")
    if not isinstance(t, (int, float)) or unit not in _TIME_UNIT_S:
        return None
    return t * _TIME_UNIT_S[unit]


def _merge(key: tuple, rows: list[dict]) -> tuple[Result, str]:
    """One Result from the JSON rows of one benchmark: its median aggregate, else its single
    iteration row, else the median of its iteration rows."""
    impl, output, shape = key
    errors = [r for r in rows if r.get("error_occurred")]
    if errors:
        msg = one_line(str(errors[0].get("error_message", "error")))
        return Result(impl, output, shape, error=msg), "error"
    medians = [r for r in rows if r.get("run_type") == "aggregate"
               and r.get("aggregate_name") == "median"]
    iters = [r for r in rows if r.get("run_type", "iteration") == "iteration"]
    if medians:
        row, how = medians[0], "median"
    elif len(iters) == 1:
        row, how = iters[0], "single"
    elif iters:
        ips = statistics.median(r.get("items_per_second", 0) for r in iters)
        secs = statistics.median(_seconds(r) or 0 for r in iters)
        return Result(impl, output, shape, ips, secs, iters[0].get("label", "")), "median"
    else:
        return Result(impl, output, shape, error="no median or iteration row"), "error"
    ips = row.get("items_per_second")
    if not isinstance(ips, (int, float)) or isinstance(ips, bool):
        raise InputError(f"{row.get('name', impl)}: no numeric items_per_second")
    cvs = [r.get("items_per_second") for r in rows
           if r.get("run_type") == "aggregate" and r.get("aggregate_name") == "cv"]
    cv = float(cvs[0]) if cvs and isinstance(cvs[0], (int, float)) else None
    ulp = row.get("max_ulp")  # older runs have no such counter
    ulp = float(ulp) if isinstance(ulp, (int, float)) and not isinstance(ulp, bool) else None
    return Result(impl, output, shape, float(ips), _seconds(row), row.get("label", ""),
                  cv=cv, max_ulp=ulp), how


def load_merged(path: Path, parse, merge_key=lambda key: key) -> dict:
    """key -> Result for one benchmark JSON file: its rows grouped by key = parse(name) (None:
    not wanted), each group merged by _merge (the median aggregate, else the iteration rows)
    under merge_key(key), the (impl, output, shape) its Result carries."""
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError, UnicodeDecodeError) as e:
        raise InputError(f"cannot read {path}: {e}") from e
    groups: dict[tuple, list[dict]] = {}
    for row in doc.get("benchmarks", []) if isinstance(doc, dict) else []:
        key = parse(str(row.get("run_name") or row.get("name", "")))
        if key is not None:
            groups.setdefault(key, []).append(row)
    return {key: _merge(merge_key(key), rows)[0] for key, rows in groups.items()}


def registry_from(entries, where: str) -> tuple[dict, dict, list]:
    """A `softmaxbench list --json` array -> ((variant, output) -> max_ulp / max_ulp_log (null =
    unbounded), variant -> tier, the entries). Older names (aliases) map like their variant."""
    try:
        bounds, tiers = {}, {}
        for v in entries:
            for name in [v["name"], *v.get("aliases", [])]:
                tiers[name] = str(v.get("tier", ""))
                for output, key in (("softmax", "max_ulp"), ("log_softmax", "max_ulp_log")):
                    b = v.get(key)
                    bounds[(name, output)] = math.inf if b is None else float(b)
        return bounds, tiers, list(entries)
    except (ValueError, TypeError, KeyError, AttributeError) as e:
        raise InputError(f"{where}: not a `softmaxbench list --json` output ({e})") from e


def _registry(folder: Path, context: dict) -> tuple[dict, dict, list]:
    """The registry of a run: the benchmark context's "variants" (the list as the binary that
    ran saw it), else variants.json (`softmaxbench list --json`, saved by reproduce.sh) in the
    results folder; neither: nothing is known (no bounds, no tiers)."""
    text = context.get("variants")
    if isinstance(text, str) and text.strip():
        try:
            return registry_from(json.loads(text), "the benchmark context's variants")
        except ValueError as e:
            raise InputError(f"the benchmark context's variants is not JSON ({e})") from e
    path = folder / "variants.json"
    if not path.is_file():
        return {}, {}, []
    try:
        entries = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise InputError(f"{path}: not a `softmaxbench list --json` output ({e})") from e
    return registry_from(entries, str(path))


def accurate_max_ulp(registry: list, where: str) -> float:
    """The registry's accurate-tier bound (kAccurateMaxUlp, `accurate_max_ulp` in each entry of
    `softmaxbench list --json`). A registry without it (none at all, or one saved before the list
    carried it) raises InputError naming where it looked: the bound is not guessed."""
    for v in registry:
        b = v.get("accurate_max_ulp") if isinstance(v, dict) else None
        if isinstance(b, (int, float)) and not isinstance(b, bool):
            return float(b)
    raise InputError(f"{where}: the run's registry (the benchmark context's \"variants\", else "
                     f"variants.json beside it) does not record accurate_max_ulp, the accurate "
                     f"tier's bound ({'no registry at all' if not registry else 'saved by an older softmaxbench'}); "
                     f"rerun the benchmark with a current build")


def load_bench(path: Path, folder: Path | None = None) -> BenchRun:
    """The one reader of Google Benchmark JSON written by softmax_bench."""
    try:
        doc = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"cannot read {path}: {e}") from e
    except ValueError as e:
        raise InputError(f"{path} is not valid JSON ({e})") from e
    if not isinstance(doc, dict) or not isinstance(doc.get("benchmarks"), list):
        raise InputError(f"{path} is not Google Benchmark JSON (no 'benchmarks' list)")
    groups: dict[tuple, list[dict]] = {}
    for row in doc["benchmarks"]:
        if not isinstance(row, dict):
            raise InputError(f"{path}: a 'benchmarks' entry is not an object")
        key = parse_name(str(row.get("run_name") or row.get("name", "")))
        if key is not None:
            groups.setdefault(key, []).append(row)
    if not groups:
        raise InputError(f"{path} has no softmax_bench results (<impl>/<rows>/<cols> names)")
    results, hows = [], set()
    for key, rows in groups.items():
        try:
            res, how = _merge(key, rows)
        except InputError as e:
            raise InputError(f"{path}: {e}") from e
        results.append(res)
        hows.add(how)
    statistic = ("median of the repetitions" if "median" in hows
                 else "result of a single run (no repetitions)")
    context = doc.get("context") if isinstance(doc.get("context"), dict) else {}
    bounds, tiers, registry = _registry(folder or path.parent, context)
    return BenchRun(path, context, results, statistic, bounds, tiers, registry)


def bench_from_args(args) -> BenchRun:
    return load_bench(choose_bench(args.results, args.bench), args.results)


def machine_id(folder: Path) -> str:
    return folder.resolve().name


def title_tail(folder: Path, commit: str) -> str:
    return f"{machine_id(folder)} @ {commit}"


# ---- accuracy ---------------------------------------------------------------------------------

ACCURACY_COLUMNS = ("variant", "isa", "tier", "exp_kernel", "output", "distribution", "n",
                    "bound", "max_ulp", "mean_ulp", "p999_ulp", "status")
SPECIAL_COLUMNS = ("variant", "case", "output", "pass")


def to_float(s) -> float | None:
    """CSV number; '' / 'null' / 'none' -> None; inf and nan accepted."""
    if s is None:
        return None
    s = str(s).strip()
    if s.lower() in ("", "null", "none", "n/a", "-"):
        return None
    try:
        return float(s)
    except ValueError:
        return None


def truthy(s) -> bool:
    return str(s).strip().lower() in ("1", "true", "yes", "pass", "ok")


def _read_csv(path: Path, required: tuple[str, ...]) -> list[dict]:
    try:
        with open(path, newline="") as f:
            reader = csv.DictReader(f)
            missing = [c for c in required if c not in (reader.fieldnames or [])]
            if missing:
                raise InputError(f"{path}: missing column(s) {', '.join(missing)}")
            rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise InputError(f"cannot read {path}: {e}") from e
    if not rows:
        raise InputError(f"{path} has no data rows")
    return rows


def load_accuracy(folder: Path) -> list[dict] | None:
    """accuracy.csv rows with n, bound and the *_ulp columns as numbers; None when absent."""
    return _load_accuracy_csv(folder / "accuracy.csv")


def load_peer_accuracy(folder: Path) -> list[dict] | None:
    """peer-accuracy.csv (bench/peer_accuracy: the peers scored like accuracy.csv, same columns,
    tier 'peer', no bound), converted as load_accuracy does; None when absent."""
    return _load_accuracy_csv(folder / "peer-accuracy.csv")


def _load_accuracy_csv(path: Path) -> list[dict] | None:
    """Rows of an accuracy.csv-shaped file (ours or the peers'), numbers converted; None when absent."""
    if not path.is_file():
        return None
    rows = _read_csv(path, ACCURACY_COLUMNS)
    for r in rows:
        for k in ("bound", "max_ulp", "mean_ulp", "p999_ulp", "frac_correctly_rounded"):
            r[k] = to_float(r.get(k))
        n = to_float(r.get("n"))
        r["n"] = int(n) if n is not None and math.isfinite(n) else 0
        r["status"] = str(r.get("status", "")).strip()
    return rows


def load_peer_special(folder: Path) -> list[dict] | None:
    """peer-accuracy-special.csv: variant,case,output,result,matches_policy; None when absent."""
    path = folder / "peer-accuracy-special.csv"
    return _read_csv(path, ("variant", "case", "output", "result", "matches_policy")) if path.is_file() else None


def load_special(folder: Path) -> list[dict] | None:
    path = folder / "accuracy-special.csv"
    return _read_csv(path, SPECIAL_COLUMNS) if path.is_file() else None


def load_json_optional(path: Path) -> dict | None:
    if not path.is_file():
        return None
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise InputError(f"{path} is not valid JSON ({e})") from e
    if not isinstance(doc, dict):
        raise InputError(f"{path}: expected a JSON object")
    return doc


def load_accuracy_meta(folder: Path) -> dict:
    doc = load_json_optional(folder / "accuracy.json") or {}
    meta = doc.get("meta")
    return meta if isinstance(meta, dict) else {}


def load_tuning(folder: Path) -> dict | None:
    doc = load_json_optional(folder / "tuning.json")
    if doc is not None and not isinstance(doc.get("entries"), list):
        raise InputError(f"{folder / 'tuning.json'}: no 'entries' list")
    return doc


def load_reproduce_record(folder: Path) -> dict | None:
    """reproduce.json: the mode and step statuses recorded by scripts/reproduce.sh."""
    return load_json_optional(folder / "reproduce.json")


def ulp_sort_key(v: float | None) -> float:
    return -1.0 if v is None else (math.inf if math.isnan(v) else v)
