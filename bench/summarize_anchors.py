#!/usr/bin/env python3
"""Turns the results.tsv of ../shared/bench/anchors.sh into the Markdown table of
docs/BENCHMARKS.md: the median of each step per tool, and lifeboat's ratio to restic (and to
every other tool) for wall time, peak memory and repository size.

Usage: bench/summarize_anchors.py WORK_DIR/results.tsv
"""
import csv
import statistics
import sys
from collections import defaultdict

STEPS = ["init", "backup1", "backup2", "backup3", "restore", "check", "check-data"]


def main(path):
    rows = list(csv.DictReader(open(path), delimiter="\t"))
    failed = [r for r in rows if r["rc"] != "0"]
    wall, rss, size = defaultdict(list), defaultdict(list), defaultdict(list)
    tools = []
    for r in rows:
        key = (r["tool"], r["step"])
        if r["tool"] not in tools:
            tools.append(r["tool"])
        wall[key].append(float(r["wall_s"]))
        rss[key].append(int(r["maxrss_kb"]) / 1024)
        size[key].append(int(r["repo_bytes"]) / 1e6)
    reps = max(len(v) for v in wall.values())
    print(f"medians of {reps} repetitions; wall seconds / peak RSS MiB / repository MB")
    print()
    print("| step | " + " | ".join(tools) + " | lifeboat ÷ restic |")
    print("|---" * (len(tools) + 2) + "|")
    for step in STEPS:
        cells = []
        for tool in tools:
            key = (tool, step)
            if key not in wall:
                cells.append("—")
                continue
            cells.append(f"{statistics.median(wall[key]):.2f} s / "
                         f"{statistics.median(rss[key]):.0f} MiB / "
                         f"{statistics.median(size[key]):.0f} MB")
        ratio = "—"
        if ("lifeboat", step) in wall and ("restic", step) in wall:
            t = statistics.median(wall[("lifeboat", step)]) / statistics.median(wall[("restic", step)])
            m = statistics.median(rss[("lifeboat", step)]) / statistics.median(rss[("restic", step)])
            s = statistics.median(size[("lifeboat", step)]) / statistics.median(size[("restic", step)])
            ratio = f"time {t:.2f}× · RSS {m:.2f}× · size {s:.2f}×"
        print(f"| {step} | " + " | ".join(cells) + f" | {ratio} |")
    if failed:
        print()
        print("failed steps: " + ", ".join(f"{r['tool']} {r['step']} (rc {r['rc']})" for r in failed))


if __name__ == "__main__":
    main(sys.argv[1])
