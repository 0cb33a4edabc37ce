#!/usr/bin/env python3
"""report.py: the tables and the chart of doc/BENCHMARKS.md.

Reads the raw CSV that bench/compare.sh wrote (one row per run), takes
the median of every measure over the repetitions, divides by mimalloc's
median of the same workload, and replaces the generated part of
BENCHMARKS.md (between the BEGIN/END GENERATED markers; the explanation
around it is written by hand) and the PNG chart of the ratios.
"""
import argparse
import csv
import math
import os
import platform
import statistics
import subprocess
import tempfile
import time

ORDER = ["hakmem", "mimalloc", "glibc", "jemalloc", "tcmalloc"]
PEER_PKGS = {"mimalloc": "libmimalloc2.0", "jemalloc": "libjemalloc2",
             "tcmalloc": "libtcmalloc-minimal4", "glibc": "libc6"}
BASE = "mimalloc"
BACKENDS = ["lazy", "touch", "map_populate", "populate", "thp", "hugetlb",
            "auto"]
BEGIN = "<!-- BEGIN GENERATED: bench/report.py -->"
END = "<!-- END GENERATED -->"
MEASURES = ["seconds", "ops", "cpu_s", "wall_s", "maxrss_kb", "minflt"]


def num(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def extras(row):
    out = {}
    for kv in (row.get("extra") or "").split(";"):
        if "=" in kv:
            k, v = kv.split("=", 1)
            if num(v) is not None:
                out[k] = num(v)
    return out


def medians(rows, table, column):
    """{(workload, rows[column]): {measure: median}} and the workload
    order of the CSV."""
    samples, order, threads, failed = {}, [], {}, {}
    for r in rows:
        if r["table"] != table:
            continue
        if r["workload"] not in order:
            order.append(r["workload"])
        threads[r["workload"]] = r["threads"]
        if r["status"] != "0":
            failed[(r["workload"], r[column])] = r["status"] or "?"
            continue
        vals = {m: num(r[m]) for m in MEASURES}
        vals.update(extras(r))
        vals["backend"] = r["backend"]
        cell = samples.setdefault((r["workload"], r[column]), {})
        for k, v in vals.items():
            if v is not None and v != "":
                cell.setdefault(k, []).append(v)
    med = {}
    for key, cell in samples.items():
        med[key] = {k: (statistics.median(v) if not isinstance(v[0], str)
                        else max(set(v), key=v.count)) for k, v in cell.items()}
    for key, status in failed.items():
        # Only failed runs: the tables say so instead of leaving a gap.
        med.setdefault(key, {"failed": status})
    return med, order, threads


def ratio(med, w, a, measure):
    x = med.get((w, a), {}).get(measure)
    b = med.get((w, BASE), {}).get(measure)
    if x is None or not b or b <= 0 or x <= 0:
        return None
    return x / b


def geomean(xs):
    xs = [x for x in xs if x and x > 0]
    return math.exp(sum(map(math.log, xs)) / len(xs)) if xs else None


def fmt_sig(x, unit=""):
    if x is None:
        return "-"
    if x == 0:
        return "0" + unit
    digits = max(0, 2 - int(math.floor(math.log10(abs(x)))))
    return f"{x:.{digits}f}{unit}"


def cell_text(value, r, best):
    if value == "-":
        return "-"
    if r is None:
        return value
    text = f"{value} ({r:.2f})"
    return f"**{text}**" if best else text


def table(med, order, threads, allocs, measure, show, title, note,
          skip=()):
    """One markdown table: a row per workload, a column per allocator,
    the median shown by show() and its ratio to mimalloc; the best ratio
    of a row in bold; a geometric-mean row."""
    lines = [f"### {title}", "", note, "",
             "| workload | threads | " + " | ".join(allocs) + " |",
             "|---|---:|" + "---:|" * len(allocs)]
    per_alloc = {a: [] for a in allocs}
    for w in order:
        if w in skip:
            continue
        rs = {a: ratio(med, w, a, measure) for a in allocs}
        best = min((r for r in rs.values() if r), default=None)
        cells = []
        for a in allocs:
            m = med.get((w, a))
            per_alloc[a].append(rs[a])
            if m and "failed" in m:
                cells.append(f"failed: {m['failed']}")
                continue
            cells.append(cell_text(show(w, m) if m else "-", rs[a],
                                   rs[a] is not None and rs[a] == best))
        lines.append(f"| {w} | {threads[w]} | " + " | ".join(cells) + " |")
    gm = [geomean(per_alloc[a]) for a in allocs]
    lines.append("| geometric mean of ratios | | " +
                 " | ".join(f"{g:.3f}" if g else "-" for g in gm) + " |")
    return lines + [""], dict(zip(allocs, gm))


def show_time(w, m):
    if w.startswith("random-mixed") and m.get("ops") and m.get("seconds"):
        return fmt_sig(m["ops"] / m["seconds"] / 1e6, " M/s")
    return fmt_sig(m.get("seconds"), " s")


def time_ratio(med, w, a):
    """Time ratio to mimalloc; for ops/s workloads the inverse of the
    speed ratio, so that below 1 is better everywhere."""
    return ratio(med, w, a, "seconds")


def failed(med, order, a):
    return sum(1 for w in order if "failed" in med.get((w, a), {}))


def main_tables(med, order, threads, allocs):
    skip = ("startup",)
    out = []
    t, gt = table(med, order, threads, allocs, "seconds", show_time,
                  "Time", "Median of the program's own timing of its work "
                  "(random-mixed: operations per second); in parentheses "
                  "the time relative to mimalloc: below 1 is faster.", skip)
    out += t
    t, gc = table(med, order, threads, allocs, "cpu_s",
                  lambda w, m: fmt_sig(m.get("cpu_s"), " s"),
                  "CPU time", "User + system time of the whole process "
                  "(wait4), relative to mimalloc.", skip)
    out += t
    t, gr = table(med, order, threads, allocs, "maxrss_kb",
                  lambda w, m: fmt_sig(m.get("maxrss_kb", 0) / 1024, " MiB"),
                  "Peak RSS", "Maximum resident set size of the process "
                  "(wait4 ru_maxrss), relative to mimalloc.", skip)
    out += t
    t, gf = table(med, order, threads, allocs, "minflt",
                  lambda w, m: "%d" % m.get("minflt", 0),
                  "Page faults", "Minor page faults of the process "
                  "(ru_minflt), loader included, relative to mimalloc.",
                  skip)
    out += t
    summary = ["### Summary", "",
               "Geometric means over the workloads (startup left out) of "
               "each allocator's ratio to mimalloc; below 1 is better.  "
               "Workloads an allocator failed (crash, or killed after the "
               "time limit) are left out of its means and counted.", "",
               "| allocator | time | CPU time | peak RSS | page faults | "
               "fastest on | failed |", "|---|---:|---:|---:|---:|---:|---:|"]
    for a in allocs:
        wins = sum(1 for w in order if w not in skip and
                   time_ratio(med, w, a) is not None and
                   time_ratio(med, w, a) == min(
                       (time_ratio(med, w, b) for b in allocs
                        if time_ratio(med, w, b) is not None)))
        summary.append(f"| {a} | " + " | ".join(
            f"{g[a]:.3f}" if g[a] else "-" for g in (gt, gc, gr, gf)) +
            f" | {wins} | {failed(med, order, a)} |")
    return summary + [""] + out


def detail_tables(med, allocs):
    out = []
    if any(("frag", a) in med for a in allocs):
        out += ["### Fragmentation", "",
                "frag: RSS after freeing 90% of the blocks, at the end "
                "(after allocating again), and the peak (MiB).", "",
                "| allocator | after free | final | peak |",
                "|---|---:|---:|---:|"]
        for a in allocs:
            m = med.get(("frag", a), {})
            out.append(f"| {a} | " + " | ".join(
                fmt_sig(m[k] / 1024) if k in m else "-" for k in
                ("rss_after_free_kb", "final_rss_kb", "maxrss_kb")) + " |")
        out.append("")
    if any(("startup", a) in med for a in allocs):
        out += ["### Startup", "",
                "A tiny program (one malloc and free) run many times with "
                "and without the preload, alternating in batches of ten: "
                "mean wall time per run and the cost the preload adds.", "",
                "| allocator | with (us) | without (us) | added (us) |",
                "|---|---:|---:|---:|"]
        for a in allocs:
            m = med.get(("startup", a), {})
            if m.get("seconds") is not None:
                out.append(f"| {a} | {m.get('with_us', 0):.0f} | "
                           f"{m.get('without_us', 0):.0f} | "
                           f"{m.get('seconds', 0) * 1e6:.0f} |")
        out.append("")
    return out


def backend_table(rows):
    med, order, threads = medians(rows, "backend", "backend_req")
    if not med:
        return []
    seen = {r["backend_req"] for r in rows if r["table"] == "backend"}
    backends = [b for b in BACKENDS if b in seen] + sorted(seen - set(BACKENDS))
    out = ["### Backends (hakmem)", "",
           "The same workloads under HAKMEM_BACKEND set to each backend "
           "and to auto: median time, and in parentheses the ratio to the "
           "best backend of the row.  \"a→b\": the run reported backend "
           "b in force (demoted at run time, or not supported here).", "",
           "| workload | " + " | ".join(backends) + " |",
           "|---|" + "---:|" * len(backends)]
    for w in order:
        secs = {b: med.get((w, b), {}).get("seconds") for b in backends}
        best = min((s for s in secs.values() if s), default=None)
        cells = []
        for b in backends:
            m = med.get((w, b))
            if m and "failed" in m:
                cells.append(f"{b}: failed: {m['failed']}")
                continue
            if not m or not secs[b]:
                cells.append("-")
                continue
            got = m.get("backend") or "?"
            name = "" if got == b or b == "auto" else f"{b}→{got}: "
            if b == "auto":
                name = f"{got}: "
            text = f"{name}{fmt_sig(secs[b], ' s')} ({secs[b] / best:.2f})"
            cells.append(f"**{text}**" if secs[b] == best else text)
        out.append(f"| {w} | " + " | ".join(cells) + " |")
    return out + [""]


def floor_table(rows, med):
    """random-mixed against its floor: the same runs under an allocator
    that only pops and pushes (bench/floor.c) and without the allocator
    calls.  mimalloc's time over the floor's is the largest speed ratio
    to mimalloc that any allocator can reach in this loop here."""
    fmed, order, _ = medians(rows, "floor", "alloc")
    if not fmed:
        return []
    out = ["### random-mixed against its floor", "",
           "The random-mixed runs also ran, in the same shuffled turns, "
           "under bench/floor.c, an allocator that does nothing but pop "
           "a block off a per-size list and push it back (no checks, no "
           "metadata, memory never returned), and with the allocator "
           "calls left out (\"loop alone\").  Operations per second "
           "(medians); the ratios are speed ratios to mimalloc, above 1 "
           "is faster.  Where the run is long or warm (10M, warm), no "
           "allocator can go much past the floor's ratio: it is the most "
           "this loop lets an allocator gain here.  In the 1M run the "
           "floor's first touches of fresh pages still weigh (each size "
           "class on pages of its own: about 80 faults more than an "
           "allocator that packs them), and one can pass it.  The "
           "medians of a noisy machine may cross in one run of the suite; "
           "compare over many.",
           "",
           "| workload | loop alone | floor | hakmem | mimalloc | "
           "floor / mimalloc | hakmem / mimalloc |",
           "|---|---:|---:|---:|---:|---:|---:|"]

    def speed(m):
        return m["ops"] / m["seconds"] if m and m.get("ops") and \
            m.get("seconds") else None

    for w in order:
        s = {"loop": speed(fmed.get((w, "loop"))),
             "floor": speed(fmed.get((w, "floor"))),
             "hakmem": speed(med.get((w, "hakmem"))),
             "mimalloc": speed(med.get((w, BASE)))}
        mi = s["mimalloc"]
        out.append(f"| {w} | " + " | ".join(
            fmt_sig(s[k] / 1e6, " M/s") if s[k] else "-"
            for k in ("loop", "floor", "hakmem", "mimalloc")) + " | " +
            " | ".join(f"{s[k] / mi:.3f}" if s[k] and mi else "-"
                       for k in ("floor", "hakmem")) + " |")
    return out + [""]


def callgrind_table(rows, allocs):
    cg = {r["alloc"]: extras(r) for r in rows if r["table"] == "callgrind"}
    if not cg:
        return []
    base = cg.get(BASE, {}).get("ir_per_pair")
    out = ["### Instructions per malloc+free (callgrind)", "",
           "random-mixed under valgrind --tool=callgrind: instructions per "
           "malloc+free pair, the benchmark loop's own instructions "
           "subtracted (a run without the allocator calls) and start-up "
           "cancelled (a long run less a short one).  Deterministic, so "
           "free of the machine's noise.  floor: bench/floor.c, the "
           "least an allocator can do (see the floor table).", "",
           "| allocator | instructions per pair | ratio to mimalloc |",
           "|---|---:|---:|"]
    for a in allocs + ["floor"]:
        if a in cg:
            ir = cg[a].get("ir_per_pair")
            r = f"{ir / base:.2f}" if ir and base else "-"
            out.append(f"| {a} | {ir:.0f} | {r} |")
    return out + [""]


def chart(med, order, allocs, png):
    work = [w for w in order if w != "startup"]
    if BASE not in allocs or not work:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "ratios.dat")
        with open(data, "w") as f:
            f.write("workload " + " ".join(allocs) + "\n")
            for w in work:
                f.write(w + " " + " ".join(
                    "%.4f" % (time_ratio(med, w, a) or float("nan"))
                    for a in allocs) + "\n")
        script = f"""
set terminal pngcairo size 1400,650 font ",10"
set output "{png}"
set title "Time relative to mimalloc (median of runs; below 1 is faster)"
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set logscale y 2
set grid ytics
set ylabel "time / mimalloc's time"
set xtics rotate by -40 left nomirror
set key top left horizontal reverse Left samplen 2 width 2
set rmargin 6
set bmargin 7
set datafile missing "nan"
plot for [i=2:{len(allocs) + 1}] "{data}" using i:xtic(1) title columnheader(i)
"""
        try:
            subprocess.run(["gnuplot"], input=script, text=True, check=True)
        except (OSError, subprocess.CalledProcessError) as e:
            print(f"report: no chart: {e}")
            return None
    return png


def machine():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB"


def versions(allocs):
    out = []
    for a in allocs:
        pkg = PEER_PKGS.get(a)
        if not pkg:
            continue
        try:
            v = subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg],
                               capture_output=True, text=True).stdout
        except OSError:
            v = ""
        out.append(f"{a} {v or '?'}")
    return ", ".join(out)


def generate(args):
    with open(args.csv) as f:
        rows = list(csv.DictReader(f))
    med, order, threads = medians(rows, "main", "alloc")
    present = {a for (_, a) in med}
    allocs = [a for a in ORDER if a in present]
    allocs += sorted(present - set(allocs))
    mode = "quick mode: smaller workloads" if args.quick == "1" \
        else "full mode"
    lines = [BEGIN, "",
             f"- Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
             f"- Machine: {machine()}; kernel {platform.release()}. "
             "The machine has 2 cores and is shared with other work: "
             "absolute numbers are noisy, ratios from the same run are "
             "what counts; 2-thread runs use both cores.",
             f"- Command: `{args.command}` ({mode}; {args.runs} runs "
             f"of each, medians; {args.seconds} s in all).",
             f"- Allocators: {', '.join(allocs)} ({versions(allocs)}).",
             f"- Raw numbers: [{os.path.basename(args.csv)}]"
             f"({os.path.basename(args.csv)}).", ""]
    if chart(med, order, allocs, args.png):
        lines += [f"![time relative to mimalloc]"
                  f"({os.path.basename(args.png)})", ""]
    lines += main_tables(med, order, threads, allocs)
    lines += detail_tables(med, allocs)
    lines += floor_table(rows, med)
    lines += backend_table(rows)
    lines += callgrind_table(rows, allocs)
    return lines + [END]


def splice(path, lines):
    text = open(path).read() if os.path.exists(path) else ""
    gen = "\n".join(lines)
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + gen + rest.split(END, 1)[1]
    else:
        text = text + ("\n" if text else "") + gen + "\n"
    with open(path, "w") as f:
        f.write(text)


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--csv", required=True)
    p.add_argument("--md", required=True)
    p.add_argument("--png", required=True)
    p.add_argument("--command", default="make bench")
    p.add_argument("--runs", default="?")
    p.add_argument("--quick", default="0")
    p.add_argument("--seconds", default="?")
    args = p.parse_args()
    splice(args.md, generate(args))
    print(f"report: wrote {args.md} and {args.png}")


if __name__ == "__main__":
    main()
