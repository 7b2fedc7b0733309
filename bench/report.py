"""Turns bench/run.sh's results.tsv into a Markdown table or chart data.

Usage: report.py table|chart-data RESULTS_TSV

Each input line has tab-separated fields: CASE, TOOL, MEDIAN, MIN, MAX,
CPU (seconds), RSS (KiB) and a note. A tool that failed or was skipped
has a note and no times.
"""

import csv
import sys

TOOLS = ["ocicap", "limit", "umoci", "buildah"]


def read_results(path):
    cases = {}
    with open(path, newline="") as handle:
        for row in csv.reader(handle, delimiter="\t"):
            row += [""] * (8 - len(row))
            case, tool, median, low, high, cpu, rss, note = row[:8]
            entry = {"note": note}
            if median:
                entry.update(median=float(median), min=float(low),
                             max=float(high), cpu=float(cpu), rss=int(rss))
            cases.setdefault(case, {})[tool] = entry
    return cases


def ratio(numerator, denominator):
    if "median" not in numerator or "median" not in denominator:
        return "n/a"
    return f"{numerator['median'] / denominator['median']:.2f}x"


def cell(entry):
    if entry is None:
        return "-"
    if "median" not in entry:
        return entry["note"]
    return (f"{entry['median']:.2f} ({entry['min']:.2f}-{entry['max']:.2f})"
            f"<br>CPU {entry['cpu']:.2f}, {entry['rss'] / 1024:.0f} MiB")


def table(cases):
    print("| case | " + " | ".join(TOOLS) +
          " | ocicap / limit | umoci / ocicap | buildah / ocicap |")
    print("|---" * (len(TOOLS) + 4) + "|")
    for case, tools in cases.items():
        ocicap = tools.get("ocicap", {})
        cells = [cell(tools.get(tool)) for tool in TOOLS]
        ratios = [ratio(ocicap, tools.get("limit", {})),
                  ratio(tools.get("umoci", {}), ocicap),
                  ratio(tools.get("buildah", {}), ocicap)]
        print(f"| {case} | " + " | ".join(cells + ratios) + " |")


def chart_data(cases):
    print("case " + " ".join(TOOLS))
    for case, tools in cases.items():
        values = []
        for tool in TOOLS:
            entry = tools.get(tool, {})
            values.append(f"{entry['median']:.4f}" if "median" in entry
                          else "-")
        print(f'"{case}" ' + " ".join(values))


def main():
    mode, path = sys.argv[1], sys.argv[2]
    cases = read_results(path)
    if mode == "table":
        table(cases)
    elif mode == "chart-data":
        chart_data(cases)
    else:
        sys.exit(f"unknown mode {mode!r}: expected table or chart-data")


if __name__ == "__main__":
    main()
