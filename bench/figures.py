#!/usr/bin/env python3
"""figures.py - turn bench/run's results.tsv into the `name value` lines that
`make bench` prints at its end.

Rows of results.tsv (tab-separated):
  NAME CONNS RPS P50_MS P90_MS P99_MS NON2XX ERRORS REQUESTS   a measurement
  outcome NAME CONNS RECORDED LET_THROUGH LEADER_QUOTA OVERLAP PENDING
  rss SETUP MAX_KB SUM_KB                                      Apache children
  pss SETUP MAX_KB SUM_KB ANON_KB       Pss of the children (ANON: Pss_Anon
                                        of the child with the largest Pss)
  cpu NAME CONNS APACHE_TICKS POSTGRES_TICKS CLK_TCK              CPU time
                                        Apache's and PostgreSQL's processes
                                        spent during that measurement
  figure NAME VALUE                                            printed as is

Figures, per set-up and connection count C:
  NAME_rps_C, NAME_p50_ms_C, NAME_p99_ms_C   (dbbound, pgcommit:
                                             transactions/s)
  NAME_refused_pct_C                         non-2xx answers (enforce, modsec)
  NAME_errors_C                              only when wrk saw socket errors
  NAME_requests_C 0                          a run that completed no request
                                             (a short run of a slow set-up):
                                             no latency, ratio or difference
                                             is derived from it
  enforce_let_through_pct_C, enforce_leader_quota_refusals_C
  ratio_passthrough_plain_C, ratio_passthrough_get_plain_get_C,
  ratio_check_plain_C, ratio_enforce_dbbound_C, ratio_enforce_modsec_C
  ratio_enforce_pgcommit_C                   enforce req/s / pgcommit tx/s:
                                             against the floor of any
                                             durable decision (lock, count,
                                             INSERT, synchronous COMMIT)
  ratio_check_modsec_C                       check req/s / modsec req/s
  check_added_p50_ms_C                       check p50 - plain p50
  NAME_apache_cpu_ms_C                       CPU time of Apache's processes
                                             per request, ms (user + system,
                                             parent and children): what the
                                             module, or ModSecurity, costs
                                             the web server, whatever the
                                             machine's speed of the moment
  NAME_pg_cpu_ms_C                           CPU time of the PostgreSQL
                                             cluster per request or
                                             transaction, ms (check, enforce,
                                             dbbound, pgcommit)
  apache_child_rss_kb                        max RSS of one child, module
                                             loaded, after the enforce runs
  apache_children_rss_kb                     sum over the 2 children
  plain_apache_child_rss_kb, modsec_apache_child_rss_kb (max, likewise)
  apache_child_pss_kb_module, _plain, _modsec
                                             proportional set size of one
                                             child (the largest) after the
                                             load: sum of Pss in
                                             /proc/PID/smaps_rollup, so the
                                             pages children share with the
                                             parent (ICU data, libraries)
                                             count once, not per child
  apache_child_pss_anon_kb_module, _plain, _modsec
                                             its Pss_Anon: heap, arenas,
                                             stacks, pools (what no file
                                             backs; not moved by other
                                             processes mapping the same
                                             libraries)
  apache_child_pss_kb_module_idle, _plain_idle, _modsec_idle
                                             the same right after the
                                             start, before any request
"""
import sys

# Set-ups run by pgbench (no Apache), and those whose requests reach
# PostgreSQL.
PGBENCH = ("dbbound", "pgcommit")
USES_DB = ("check", "enforce", "dbbound", "pgcommit")


def fmt(v):
    if isinstance(v, float):
        if v and abs(v) < 0.1:
            # three significant digits: a ratio of 0.0004 is not 0
            return "%.3g" % v
        return ("%.3f" % v).rstrip("0").rstrip(".") if abs(v) < 100 else "%.0f" % v
    return str(v)


def main(path):
    runs, outcome, rss, pss, order, extra, cpu = {}, {}, {}, {}, [], [], {}
    for line in open(path, encoding="utf-8"):
        f = line.rstrip("\n").split("\t")
        if f[0] == "outcome":
            outcome[(f[1], f[2])] = [int(x) for x in f[3:8]]
        elif f[0] == "cpu":
            cpu[(f[1], f[2])] = (int(f[3]), int(f[4]), int(f[5]))
        elif f[0] == "figure":
            extra.append((f[1], float(f[2])))
        elif f[0] == "rss":
            rss[f[1]] = [int(x) for x in f[2].split()]
        elif f[0] == "pss":
            pss[f[1]] = [int(x) for x in f[2].split()]
        elif len(f) >= 9:
            key = (f[0], f[1])
            runs[key] = {"rps": float(f[2]), "p50": float(f[3]), "p90": float(f[4]),
                         "p99": float(f[5]), "non2xx": int(f[6]), "errors": int(f[7]),
                         "requests": int(f[8])}
            order.append(key)

    out = []
    # A run that completed no request (a short run of a slow set-up) has no
    # latency: leave out its percentiles and what is derived from them.
    done = lambda key: key in runs and runs[key]["requests"] > 0
    for name, c in order:
        r = runs[(name, c)]
        out.append(("%s_rps_%s" % (name, c), r["rps"]))
        if not r["requests"]:
            out.append(("%s_requests_%s" % (name, c), 0))
            continue
        out.append(("%s_p50_ms_%s" % (name, c), r["p50"]))
        out.append(("%s_p99_ms_%s" % (name, c), r["p99"]))
        if name in ("enforce", "modsec", "check") and r["requests"]:
            out.append(("%s_refused_pct_%s" % (name, c), 100.0 * r["non2xx"] / r["requests"]))
        if r["errors"]:
            out.append(("%s_errors_%s" % (name, c), r["errors"]))
        t = cpu.get((name, c))
        if t and t[2] > 0:
            per = lambda ticks: ticks * 1000.0 / t[2] / r["requests"]
            if name not in PGBENCH:
                out.append(("%s_apache_cpu_ms_%s" % (name, c), per(t[0])))
            if name in USES_DB:
                out.append(("%s_pg_cpu_ms_%s" % (name, c), per(t[1])))
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
                     ("check", "plain"), ("enforce", "dbbound"), ("enforce", "modsec"),
                     ("enforce", "pgcommit"), ("check", "modsec")):
            if done((a, c)) and done((b, c)) and runs[(b, c)]["rps"] > 0:
                out.append(("ratio_%s_%s_%s" % (a, b, c),
                            runs[(a, c)]["rps"] / runs[(b, c)]["rps"]))
        if done(("check", c)) and done(("plain", c)):
            out.append(("check_added_p50_ms_%s" % c,
                        runs[("check", c)]["p50"] - runs[("plain", c)]["p50"]))

    if "doanra" in rss:
        out.append(("apache_child_rss_kb", rss["doanra"][0]))
        out.append(("apache_children_rss_kb", rss["doanra"][1]))
    for setup in ("plain", "modsec"):
        if setup in rss:
            out.append(("%s_apache_child_rss_kb" % setup, rss[setup][0]))

    setups = (("doanra", "module"), ("plain", "plain"), ("modsec", "modsec"))
    for setup, suffix in setups:
        if setup in pss:
            out.append(("apache_child_pss_kb_%s" % suffix, pss[setup][0]))
    for setup, suffix in setups:
        if setup in pss and len(pss[setup]) > 2:
            out.append(("apache_child_pss_anon_kb_%s" % suffix, pss[setup][2]))
    for setup, suffix in setups:
        if setup + "_idle" in pss:
            out.append(("apache_child_pss_kb_%s_idle" % suffix, pss[setup + "_idle"][0]))

    out += extra
    for name, value in out:
        print("%s %s" % (name, fmt(value)))


if __name__ == "__main__":
    main(sys.argv[1])
