-- post.lua - wrk script for mod_doanra's soak runs: every request POSTs a
-- realistic delegation (urlencoded, as the intranet form sends it) with
-- fresh member names, so member-overlap never refuses one request because
-- of another, and every 5th has 11 members (a 422 from the size rule).
--
--   wrk -t2 -c8 -d30s -s tests/soak/post.lua http://127.0.0.1:PORT/faults/refuse
--
-- Connection: close on every request: during `apache2 -k graceful` old
-- children close idle keep-alive connections, and a POST raced onto one of
-- those is a client-side artefact, not a failure of the server.
-- At the end it prints "statuses: 200=N 422=N 503=N other=N" summed over
-- threads.

local threads = {}
local next_id = 0

function setup(thread)
    next_id = next_id + 1
    thread:set("tid", next_id)
    table.insert(threads, thread)
end

local counter = 0
local counts

function init(args)
    counts = {}
    math.randomseed(os.time() + (tid or 0) * 7919)
    prefix = string.format("%d%06x", tid or 0, math.random(0, 0xffffff))
end

local function enc(s)
    return (s:gsub("[^%w%-_%.~]", function(c)
        return string.format("%%%02X", string.byte(c))
    end))
end

local function day(n)
    return os.date("!%Y-%m-%d", os.time() + 86400 * n)
end

local given = {"An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Hùng", "Khánh"}

function request()
    counter = counter + 1
    local members = (counter % 5 == 0) and 11 or 2
    local ahead = 40 + (counter % 20)
    local f = {
        {"don_vi", "Sở Kiểm thử"}, {"ma_don_vi", "TST"},
        {"muc_dich", "Xúc tiến đầu tư, làm việc với đối tác về du lịch"},
        {"doi_tac", "Tỉnh Kanagawa, Nhật Bản"},
        {"ngay_di", day(ahead)}, {"ngay_ve", day(ahead + 4)},
        {"nguon_kinh_phi", "ngan_sach"}, {"du_toan", "350.000.000"},
        {"ma_ke_hoach", ""}, {"ly_do_phat_sinh", ""},
        {"quoc_gia[]", "JP"}, {"tu_ngay[]", day(ahead + 1)},
        {"den_ngay[]", day(ahead + 3)},
    }
    for i = 1, members do
        table.insert(f, {"tv_ho_ten[]", string.format("Nguyễn Văn %s %s-%d-%d",
            given[(i - 1) % #given + 1], prefix, counter, i)})
        table.insert(f, {"tv_ma[]", ""})
        table.insert(f, {"tv_chuc_vu[]", "Chuyên viên"})
        table.insert(f, {"tv_don_vi[]", ""})
    end
    local parts = {}
    for _, kv in ipairs(f) do
        table.insert(parts, enc(kv[1]) .. "=" .. enc(kv[2]))
    end
    return wrk.format("POST", nil, {
        ["Content-Type"] = "application/x-www-form-urlencoded",
        ["Connection"] = "close",
    }, table.concat(parts, "&"))
end

function response(status, headers, body)
    local k = tostring(status)
    counts[k] = (counts[k] or 0) + 1
    c200 = counts["200"] or 0
    c422 = counts["422"] or 0
    c503 = counts["503"] or 0
    cother = 0
    for s, n in pairs(counts) do
        if s ~= "200" and s ~= "422" and s ~= "503" then cother = cother + n end
    end
end

function done(summary, latency, requests)
    local t = {c200 = 0, c422 = 0, c503 = 0, cother = 0}
    for _, thread in ipairs(threads) do
        for k, _ in pairs(t) do
            t[k] = t[k] + (thread:get(k) or 0)
        end
    end
    io.write(string.format("statuses: 200=%d 422=%d 503=%d other=%d\n",
        t.c200, t.c422, t.c503, t.cother))
end
