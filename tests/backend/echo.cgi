#!/usr/bin/python3
# echo.cgi - the CGI flavour of the test backend: proves that the body
# mod_doanra read and replayed reaches a CGI program with a Content-Length.
# It answers the same facts as mod_doanra_echo (X-Echo-* headers and
# "key: value" lines in <pre id="echo">).  A CGI reads exactly CONTENT_LENGTH
# bytes; a missing length means it gets nothing, which the tests detect.
import hashlib
import html
import os
import sys

length = os.environ.get("CONTENT_LENGTH", "")
body = sys.stdin.buffer.read(int(length)) if length.isdigit() else b""
digest = hashlib.sha256(body).hexdigest()
ctype = os.environ.get("CONTENT_TYPE", "")
doanra = sorted((k[5:].replace("_", "-").title(), v) for k, v in os.environ.items()
                if k.startswith("HTTP_X_DOANRA_"))

lines = ["method: " + os.environ.get("REQUEST_METHOD", ""),
         "content-type: " + ctype,
         "content-length: " + length,
         "transfer-encoding: ",
         "body-length: %d" % len(body),
         "body-sha256: " + digest]
lines += ["%s: %s" % kv for kv in doanra]

out = sys.stdout.buffer
out.write(b"Content-Type: text/html; charset=utf-8\r\n")
out.write(("X-Echo-Length: %d\r\n" % len(body)).encode())
out.write(("X-Echo-Sha256: %s\r\n" % digest).encode())
out.write(("X-Echo-Content-Length: %s\r\n" % length).encode())
out.write(b"X-Echo-Backend: cgi\r\n\r\n")
page = ("<!DOCTYPE html>\n<html lang=\"vi\"><head><meta charset=\"utf-8\">"
        "<title>Đã nhận hồ sơ đoàn ra</title></head>\n<body>\n<!--doanra-->\n"
        "<h1>Đã nhận hồ sơ đoàn ra (CGI)</h1>\n<pre id=\"echo\">\n"
        + "".join(html.escape(l) + "\n" for l in lines) + "</pre>\n</body></html>\n")
out.write(page.encode("utf-8"))
