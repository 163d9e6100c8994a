-- post.lua - wrk request generator of `make bench`: every request POSTs a
-- realistic delegation (urlencoded, ~2.6 KB, 10 members of 3 units, 3
-- countries), request number k giving the people and dates described in
-- bench/bodies.py (which writes the per-person parts this script loads).
--
--   wrk -t2 -c16 -d10s -s post.lua URL -- PARTS.lua THREADS [K0]
--
-- k = K0 + n * THREADS + thread index, so threads never send the same
-- body (THREADS must equal wrk's -t: a thread's Lua state may not be
-- touched once it runs, so setup() cannot tell earlier threads the count).  done() prints one machine-readable line:
--   BENCH requests=N seconds=S rps=R p50_ms=.. p90_ms=.. p99_ms=.. non2xx=N errors=N

local created = 0

function setup(thread)
    thread:set("tid", created)
    created = created + 1
end

local P, n, k0, nthreads
local hdrs = {["Content-Type"] = "application/x-www-form-urlencoded"}

function init(args)
    P = dofile(args[1])
    nthreads = tonumber(args[2] or "1")
    k0 = tonumber(args[3] or "0")
    n = 0
end

local function iso(y, off)
    -- Noon, so a DST change can never move the day.
    return os.date("%Y-%m-%d", os.time({year = y, month = 1, day = 5 + off, hour = 12}))
end

function request()
    local k = k0 + n * nthreads + tid
    n = n + 1
    local c = k % 500
    local b = math.floor(k / 500)
    local year = P.y0 + math.floor(b / 2) % P.years
    local off = (b % 2) * 182 + c % 170
    local part = P.parts[c + 1]
    local m = {
        part[1],
        "ngay_di=", iso(year, off), "&ngay_ve=", iso(year, off + P.trip_days),
        "&nguon_kinh_phi=ngan_sach&du_toan=", P.cost,
        "&ma_ke_hoach=KH", tostring(year), "-", part[3],
        "&ly_do_phat_sinh=",
    }
    for i = 1, #P.countries do
        local l = P.legs[i]
        m[#m + 1] = "&quoc_gia%5B%5D=" .. P.countries[i] ..
            "&tu_ngay%5B%5D=" .. iso(year, off + l[1]) ..
            "&den_ngay%5B%5D=" .. iso(year, off + l[2])
    end
    m[#m + 1] = "&quoc_gia%5B%5D=&tu_ngay%5B%5D=&den_ngay%5B%5D="
    m[#m + 1] = part[2]
    if k % 20 == 19 then
        m[#m + 1] = P.guest
    end
    return wrk.format("POST", nil, hdrs, table.concat(m))
end

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
