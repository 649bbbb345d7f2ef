#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""bench/merge.py - one summary of a series that ran as several invocations.

The lab is shared, so a long series (5 runs per mode) runs as several bounded invocations of
bench/failover.py or bench/guard.py (each with --first-run, so numbering and alternation go
on). This joins their results.json files: every run of every invocation, failed ones included
and counted, summarized exactly as one invocation would be, and where each run came from.

Usage: /usr/bin/python3 bench/merge.py OUTDIR RESULTDIR...
Writes OUTDIR/results.json (meta.merged_from: each invocation's argv and date) and
OUTDIR/results.md. Reads no lab and needs no root.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import failover as fo  # noqa: E402
import guard as gd  # noqa: E402


def load(d):
    with open(os.path.join(d, "results.json")) as f:
        doc = json.load(f)
    return doc.get("meta", {}), doc["results"]


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__.split("\n\n")[2])
    out, dirs = sys.argv[1], sys.argv[2:]
    sources, results = [], []
    for d in dirs:
        meta, rs = load(d)
        sources.append({"dir": os.path.basename(os.path.normpath(d)), "argv": meta.get("argv"),
                        "date": meta.get("date"), "bin": meta.get("bin"), "runs": len(rs)})
        results += [dict(r, source=sources[-1]["dir"]) for r in rs]
    if not results:
        sys.exit("bench/merge.py: no runs in " + " ".join(dirs))
    head = ["Merged from " + ", ".join(f"`{s['dir']}` ({s['runs']} runs, {s['date']})"
                                       for s in sources) + ".\n"]
    if "guard" in results[0]:
        summary, lines = gd.summarize(results)
        md = "\n".join(head + ["Per run:\n"] + gd.runs_table(results) +
                       ["", "Summary, median (min–max) over the runs that completed:\n"] + lines)
    else:
        summary = fo.summarize(results)
        md = "\n".join(head) + "\n" + fo.markdown(results, summary)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump({"meta": {"merged_from": sources}, "summary": summary, "results": results}, f,
                  indent=1)
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write(md + "\n")
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
