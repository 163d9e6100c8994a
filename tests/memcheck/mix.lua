-- mix.lua - wrk request mix of tests/memcheck/soak-memory: every path a
-- child takes, in turn, so a per-request leak on any of them shows in the
-- child's RSS.
--
--   wrk -t2 -c8 -d10s -s tests/memcheck/mix.lua http://127.0.0.1:PORT
--
-- Per cycle of 10 requests: 3 passing submissions (fresh member names, so
-- nothing refuses one because of another; the trip is settled after the
-- backend answers), a warn (block injected into the backend's page), a
-- fail with the built-in page, a fail with the form page refilled, the
-- JSON check, a body over DoanraMaxBody (413), bad percent-encoding (400)
-- and a GET the module leaves alone.  done() prints
--   MIX requests=N non2xx=N errors=N statuses=...

local threads = {}
local created = 0

function setup(thread)
    created = created + 1
    thread:set("tid", created)
    table.insert(threads, thread)
end

local n = 0
counts = {}  -- global: done() reads it through thread:get

function init(args)
    math.randomseed(os.time() + (tid or 0) * 7919)
    prefix = string.format("%d%06x", tid or 0, math.random(0, 0xffffff))
end

local function enc(s)
    return (s:gsub("[^%w%-_%.~]", function(c)
        return string.format("%%%02X", string.byte(c))
    end))
end

local function day(k)
    return os.date("!%Y-%m-%d", os.time() + 86400 * k)
end

local FORM = {["Content-Type"] = "application/x-www-form-urlencoded"}

local function trip(members, leaders)
    local ahead = 40 + (n % 200)
    local f = {
        "don_vi=" .. enc("Sở Kiểm thử"), "ma_don_vi=TST",
        "muc_dich=" .. enc("Xúc tiến đầu tư, làm việc với đối tác về du lịch"),
        "doi_tac=" .. enc("Tỉnh Kanagawa, Nhật Bản <b>&amp;</b>"),
        "ngay_di=" .. day(ahead), "ngay_ve=" .. day(ahead + 4),
        "nguon_kinh_phi=ngan_sach", "du_toan=350.000.000",
        "ma_ke_hoach=", "ly_do_phat_sinh=",
        "quoc_gia%5B%5D=JP", "tu_ngay%5B%5D=" .. day(ahead + 1),
        "den_ngay%5B%5D=" .. day(ahead + 3),
        "quoc_gia%5B%5D=&tu_ngay%5B%5D=&den_ngay%5B%5D=",
    }
    for i = 1, members do
        local pos = "Chuyên viên"
        if leaders and i <= 2 then
            pos = (i == 1) and "Giám đốc" or "Bí thư"
        end
        f[#f + 1] = "tv_ho_ten%5B%5D=" ..
            enc(string.format("Nguyễn Văn Minh %s-%d-%d", prefix, n, i)) ..
            "&tv_ma%5B%5D=&tv_chuc_vu%5B%5D=" .. enc(pos) .. "&tv_don_vi%5B%5D="
    end
    return table.concat(f, "&")
end

function request()
    n = n + 1
    local k = n % 10
    if k <= 2 then
        return wrk.format("POST", "/submit", FORM, trip(2))
    elseif k == 3 then
        return wrk.format("POST", "/submit", FORM, trip(2, true))
    elseif k == 4 then
        return wrk.format("POST", "/plain", FORM, trip(11))
    elseif k == 5 then
        return wrk.format("POST", "/submit", FORM, trip(11))
    elseif k == 6 then
        return wrk.format("POST", "/check", FORM, trip(3))
    elseif k == 7 then
        return wrk.format("POST", "/small", FORM, trip(2) .. "&x=" .. string.rep("a", 5000))
    elseif k == 8 then
        return wrk.format("POST", "/submit", FORM, trip(2) .. "&muc_dich=%G1")
    else
        return wrk.format("GET", "/submit")
    end
end

function response(status, headers, body)
    counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
    local total = {}
    for _, t in ipairs(threads) do
        local c = t:get("counts")
        for s, v in pairs(c or {}) do
            total[s] = (total[s] or 0) + v
        end
    end
    local parts = {}
    for s, v in pairs(total) do
        parts[#parts + 1] = string.format("%d=%d", s, v)
    end
    table.sort(parts)
    io.write(string.format("MIX requests=%d non2xx=%d errors=%d statuses=%s\n",
        summary.requests, summary.errors.status,
        summary.errors.connect + summary.errors.read + summary.errors.write +
        summary.errors.timeout, table.concat(parts, ",")))
end
