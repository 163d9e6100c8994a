#!/usr/bin/env python3
"""figures.py - turn bench/run's results.tsv into the `name value` lines that
`make bench` prints at its end.

Rows of results.tsv (tab-separated):
  NAME CONNS RPS P50_MS P90_MS P99_MS NON2XX ERRORS REQUESTS   a measurement
  outcome NAME CONNS RECORDED LET_THROUGH LEADER_QUOTA OVERLAP PENDING
  rss SETUP MAX_KB SUM_KB                                      Apache children
  figure NAME VALUE                                            printed as is

Figures, per set-up and connection count C:
  NAME_rps_C, NAME_p50_ms_C, NAME_p99_ms_C   (dbbound: transactions/s)
  NAME_refused_pct_C                         non-2xx answers (enforce, modsec)
  NAME_errors_C                              only when wrk saw socket errors
  enforce_let_through_pct_C, enforce_leader_quota_refusals_C
  ratio_passthrough_plain_C, ratio_passthrough_get_plain_get_C,
  ratio_check_plain_C, ratio_enforce_dbbound_C, ratio_enforce_modsec_C
  check_added_p50_ms_C                       check p50 - plain p50
  apache_child_rss_kb                        max RSS of one child, module
                                             loaded, after the enforce runs
  apache_children_rss_kb                     sum over the 2 children
  plain_apache_child_rss_kb, modsec_apache_child_rss_kb (max, likewise)
"""
import sys


def fmt(v):
    if isinstance(v, float):
        return ("%.3f" % v).rstrip("0").rstrip(".") if abs(v) < 100 else "%.0f" % v
    return str(v)


def main(path):
    runs, outcome, rss, order, extra = {}, {}, {}, [], []
    for line in open(path, encoding="utf-8"):
        f = line.rstrip("\n").split("\t")
        if f[0] == "outcome":
            outcome[(f[1], f[2])] = [int(x) for x in f[3:8]]
        elif f[0] == "figure":
            extra.append((f[1], float(f[2])))
        elif f[0] == "rss":
            rss[f[1]] = [int(x) for x in f[2].split()]
        elif len(f) >= 9:
            key = (f[0], f[1])
            runs[key] = {"rps": float(f[2]), "p50": float(f[3]), "p90": float(f[4]),
                         "p99": float(f[5]), "non2xx": int(f[6]), "errors": int(f[7]),
                         "requests": int(f[8])}
            order.append(key)

    out = []
    for name, c in order:
        r = runs[(name, c)]
        out.append(("%s_rps_%s" % (name, c), r["rps"]))
        out.append(("%s_p50_ms_%s" % (name, c), r["p50"]))
        out.append(("%s_p99_ms_%s" % (name, c), r["p99"]))
        if name in ("enforce", "modsec", "check") and r["requests"]:
            out.append(("%s_refused_pct_%s" % (name, c), 100.0 * r["non2xx"] / r["requests"]))
        if r["errors"]:
            out.append(("%s_errors_%s" % (name, c), r["errors"]))
        o = outcome.get((name, c))
        if o and o[0]:
            out.append(("%s_let_through_pct_%s" % (name, c), 100.0 * o[1] / o[0]))
            out.append(("%s_leader_quota_refusals_%s" % (name, c), o[2]))
            if o[3]:
                out.append(("%s_member_overlap_refusals_%s" % (name, c), o[3]))
            if o[4]:
                out.append(("%s_trips_left_pending_%s" % (name, c), o[4]))

    conns = []
    for _, c in order:
        if c not in conns:
            conns.append(c)
    for c in conns:
        for a, b in (("passthrough", "plain"), ("passthrough_get", "plain_get"),
                     ("check", "plain"), ("enforce", "dbbound"), ("enforce", "modsec")):
            if (a, c) in runs and (b, c) in runs and runs[(b, c)]["rps"] > 0:
                out.append(("ratio_%s_%s_%s" % (a, b, c),
                            runs[(a, c)]["rps"] / runs[(b, c)]["rps"]))
        if ("check", c) in runs and ("plain", c) in runs:
            out.append(("check_added_p50_ms_%s" % c,
                        runs[("check", c)]["p50"] - runs[("plain", c)]["p50"]))

    if "doanra" in rss:
        out.append(("apache_child_rss_kb", rss["doanra"][0]))
        out.append(("apache_children_rss_kb", rss["doanra"][1]))
    for setup in ("plain", "modsec"):
        if setup in rss:
            out.append(("%s_apache_child_rss_kb" % setup, rss[setup][0]))

    out += extra
    for name, value in out:
        print("%s %s" % (name, fmt(value)))


if __name__ == "__main__":
    main(sys.argv[1])
