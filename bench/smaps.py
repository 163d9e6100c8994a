#!/usr/bin/env python3
"""smaps.py - where the memory of one process goes: /proc/PID/smaps grouped
by mapping, for `make bench` (build/bench/smaps-SETUP.txt).

  smaps.py rollup PID...   one line per PID: "pid pss pss_anon pss_file rss"
                           (kB, from /proc/PID/smaps_rollup)
  smaps.py table PID       the mappings of PID grouped, largest Pss first

Pss (proportional set size) divides each shared page by the number of
processes that map it: the ICU data and the libraries the parent loaded
before forking count once across the parent and its children, not once
per child as they do in Rss.  Pss_Anon is the part no file backs - heap,
malloc arenas, thread stacks, APR pools - and does not depend on how many
other processes on the machine map the same libraries.

Grouping: a file mapping by its path (every segment of a library
together); [heap] (the main malloc arena) and [stack] as such; the 8 MiB
stacks of the MPM's threads; every other anonymous mapping together (the
heaps of glibc's per-thread malloc arenas, malloc's own mmap of large
blocks, and what libraries map themselves: the kernel merges adjacent
anonymous mappings, so they cannot be told apart reliably).  The largest
of those follow, one by one.
"""
import sys

FIELDS = ("Size", "Rss", "Pss", "Anonymous", "Private_Dirty", "Shared_Clean")


def rollup(pid):
    v = {}
    with open("/proc/%s/smaps_rollup" % pid) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2 and parts[0].endswith(":") and parts[1].isdigit():
                v[parts[0][:-1]] = int(parts[1])
    return v


def mappings(pid):
    cur = None
    with open("/proc/%s/smaps" % pid) as f:
        for line in f:
            parts = line.split()
            if not parts:
                continue
            if parts[0].endswith(":") and not ("-" in parts[0] and len(parts) >= 5):
                if cur is not None and parts[0][:-1] in FIELDS:
                    cur[parts[0][:-1]] = int(parts[1])
                continue
            if cur is not None:
                yield cur
            lo, hi = (int(x, 16) for x in parts[0].split("-"))
            cur = {"name": " ".join(parts[5:]) if len(parts) > 5 else "",
                   "perms": parts[1], "start": lo, "vsize": (hi - lo) // 1024}
    if cur is not None:
        yield cur


def group_name(m):
    if m["name"]:
        return m["name"]
    if m["vsize"] == 8192 and m["perms"].startswith("rw"):
        return "[anon: thread stacks]"
    return "[anon: other]"


def table(pid):
    groups, anon = {}, []
    for m in mappings(pid):
        if group_name(m) == "[anon: other]":
            anon.append(m)
        g = groups.setdefault(group_name(m), {k: 0 for k in FIELDS + ("n",)})
        for k in FIELDS:
            g[k] += m.get(k, 0)
        g["n"] += 1
    total = {k: sum(g[k] for g in groups.values()) for k in FIELDS}
    out = ["# /proc/%s/smaps grouped by mapping (kB); %s" % (pid, cmdline(pid)),
           "%9s %9s %9s %9s %5s  %s" % ("Pss", "Rss", "Anon", "PrivDirty", "maps", "mapping")]
    for name, g in sorted(groups.items(), key=lambda kv: (-kv[1]["Pss"], kv[0])):
        if g["Rss"] == 0:
            continue
        out.append("%9d %9d %9d %9d %5d  %s" % (g["Pss"], g["Rss"], g["Anonymous"],
                                                 g["Private_Dirty"], g["n"], name))
    out.append("%9d %9d %9d %9d %5s  %s" % (total["Pss"], total["Rss"], total["Anonymous"],
                                             total["Private_Dirty"], "", "total"))
    out.append("")
    out.append("# the largest of [anon: other]: Pss kB, mapped size kB, address")
    for m in sorted(anon, key=lambda m: -m.get("Pss", 0))[:12]:
        out.append("%9d %9d  %x %s" % (m.get("Pss", 0), m["vsize"], m["start"], m["perms"]))
    return "\n".join(out)


def cmdline(pid):
    try:
        with open("/proc/%s/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return "?"


def main(argv):
    if len(argv) >= 3 and argv[1] == "rollup":
        for pid in argv[2:]:
            v = rollup(pid)
            print(pid, v.get("Pss", 0), v.get("Pss_Anon", 0), v.get("Pss_File", 0), v.get("Rss", 0))
    elif len(argv) == 3 and argv[1] == "table":
        print(table(argv[2]))
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
