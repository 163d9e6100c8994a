-- trip.lua - an in-process backend behind mod_doanra (mod_lua, in Debian's
-- apache2-bin) for tests/integration/test_backends.py.
--
-- Reads the body with r:parsebody() (urlencoded and multipart), appends one
-- JSON line per request to the file named by DOANRA_BACKENDS_LOG, and answers
-- a 200 text/html page of a few KB with <pre id="lua">JSON</pre>: the fields
-- (name -> list of values, in the order the body gave them), the X-Doanra-*
-- request headers and the Range / If-Range headers it saw.  It sends an ETag
-- so that If-Range can match it.  Being a handler inside httpd, its answer
-- still goes through the byte-range filter afterwards: the Range case.

local function esc(s)
    s = tostring(s)
    s = s:gsub('[%c"\\]', function(c)
        if c == '"' then return '\\"' end
        if c == '\\' then return '\\\\' end
        return string.format('\\u%04x', c:byte())
    end)
    return '"' .. s .. '"'
end

local function json(v)
    local t = type(v)
    if v == nil then return 'null' end
    if t == 'number' or t == 'boolean' then return tostring(v) end
    if t == 'string' then return esc(v) end
    -- tables: arrays when v[1] exists or the table is marked {n = 0}
    if v[1] ~= nil or v.n == 0 then
        local out = {}
        for i = 1, #v do out[#out + 1] = json(v[i]) end
        return '[' .. table.concat(out, ',') .. ']'
    end
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = k end
    table.sort(keys)
    local out = {}
    for _, k in ipairs(keys) do out[#out + 1] = esc(k) .. ':' .. json(v[k]) end
    return '{' .. table.concat(out, ',') .. '}'
end

local function html(s)
    return (s:gsub('&', '&amp;'):gsub('<', '&lt;'):gsub('>', '&gt;'):gsub('"', '&quot;'))
end

function handle(r)
    local fields = {}
    if r.method == 'POST' then
        local ok, post, multi = pcall(r.parsebody, r, 1024 * 1024)
        if ok and multi then
            for k, vs in pairs(multi) do
                local list = {n = 0}
                for i, v in ipairs(vs) do list[i] = v end
                fields[k] = list
            end
        elseif ok and post then
            for k, v in pairs(post) do fields[k] = {v} end
        end
    end
    local seen = {
        backend = 'lua',
        uri = r.uri,
        method = r.method,
        content_type = r.headers_in['Content-Type'],
        content_length = r.headers_in['Content-Length'],
        range = r.headers_in['Range'],
        if_range = r.headers_in['If-Range'],
        doanra = {
            decision = r.headers_in['X-Doanra-Decision'],
            submission = r.headers_in['X-Doanra-Submission'],
            rules = r.headers_in['X-Doanra-Rules'],
        },
    }
    local log = r.subprocess_env['DOANRA_BACKENDS_LOG']
    if log and log ~= '' then
        local f = io.open(log, 'a')
        if f then
            f:write(json(seen), '\n')
            f:close()
        end
    end
    seen.fields = fields
    r.content_type = 'text/html; charset=utf-8'
    r.headers_out['ETag'] = '"doanra-lua-1"'
    r.headers_out['X-Backend'] = 'lua'
    r:puts('<!DOCTYPE html>\n<html lang="vi">\n<head><meta charset="utf-8">',
           '<title>Đăng ký đoàn ra</title></head>\n<body>\n<h1>Đã nhận hồ sơ</h1>\n',
           '<pre id="lua">', html(json(seen)), '</pre>\n')
    -- a few KB of page, as a real application answers
    for i = 1, 40 do
        r:puts('<p class="filler">Hồ sơ đoàn ra đã được tiếp nhận và đang chờ xử lý, dòng ', i, '.</p>\n')
    end
    r:puts('</body>\n</html>\n')
    return apache2.OK
end
