-- get.lua - wrk script of `make bench` for plain GETs (an HTML page of the
-- intranet): no request() function, so wrk sends its static request at full
-- speed; done() prints the same BENCH line as post.lua.

function done(summary, latency, requests)
    local secs = summary.duration / 1e6
    local e = summary.errors
    io.write(string.format(
        "BENCH requests=%d seconds=%.3f rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f non2xx=%d errors=%d\n",
        summary.requests, secs, summary.requests / secs,
        latency:percentile(50) / 1000, latency:percentile(90) / 1000,
        latency:percentile(99) / 1000, e.status,
        e.connect + e.read + e.write + e.timeout))
end
