#!/usr/bin/python3
# inject_page.cgi - the backend pages the injection tests need, chosen by
# ?case=NAME: where the block must go (marker, body, no body), pages whose
# marker and <body> tag arrive split across buckets, brigades and flushes
# (mod_bucketeer's control bytes \x02 bucket, \x10 pass, \x06 flush; or real
# slow writes), a gzip-encoded page, non-HTML answers, a page with its own
# Content-Length, an error status.  It also echoes what it received in
# X-Page-Accept-Encoding so tests see what the backend was asked for.
import gzip
import os
import sys
import time
import urllib.parse

q = urllib.parse.parse_qs(os.environ.get("QUERY_STRING", ""))
case = q.get("case", ["marker"])[0]
if os.environ.get("REQUEST_METHOD") == "POST":
    n = os.environ.get("CONTENT_LENGTH", "")
    sys.stdin.buffer.read(int(n) if n.isdigit() else 0)

out = sys.stdout.buffer
ae = os.environ.get("HTTP_ACCEPT_ENCODING", "-")

HEAD = "<!DOCTYPE html>\n<html lang=\"vi\"><head><meta charset=\"utf-8\"><title>Trang</title></head>\n"
PAGES = {
    "marker": HEAD + "<body class=\"app\">\n<h1>Tiêu đề</h1>\n<!--doanra-->\n<p>Nội dung</p>\n</body></html>\n",
    "body": "<!DOCTYPE html>\n<HTML><HEAD><TITLE>x</TITLE></HEAD>\n<BODY CLASS=\"a>b\" onload='f(\"<body>\")'>\n<p>Nội dung</p>\n</BODY></HTML>\n",
    "nobody": "<p>Chỉ một đoạn</p>\n",
    "comment": HEAD + "<!-- <body> <!--doanra--> -->\n<script>var s='<body><!--doanra-->';</script>\n<body id=\"real\">\n<p>x</p></body></html>\n",
    # every byte of the marker and the body tag its own brigade, with
    # flushes in between
    "split": ("\x10".join(HEAD) + "\x06" + "\x10".join("<body data-x=\"1>2\">")
              + "\n<h1>A</h1>\x06\x02<!-\x10-do\x02a\x06nr\x10a-\x02-\x10>"
              + "\n<p>sau</p>\x06</body></html>\n"),
    "split-body": ("\x10".join(HEAD) + "\x06" + "\x10".join("<BODY\nclass='x'>")
                   + "\x06\x10<p>không có dấu</p>\x02\x10</body></html>\n"),
    "far": HEAD + "<body>\n<p>" + ("x" * 100000) + "</p>\n<!--doanra-->\n</body></html>\n",
    "big": HEAD + "<body>\n<!--doanra-->\n" + ("<p>%06d</p>\n" * 20000) % tuple(range(20000)) + "</body></html>\n",
}

def page(name):
    return PAGES[name].encode("utf-8")

if case == "slow":
    # real streaming: small writes, each flushed, with pauses (chunked)
    out.write(b"Content-Type: text/html; charset=utf-8\r\n\r\n")
    out.flush()
    data = page("marker")
    for i in range(0, len(data), 5):
        out.write(data[i:i + 5])
        out.flush()
        time.sleep(0.003)
elif case == "gzip":
    body = gzip.compress(page("marker"))
    out.write(b"Content-Type: text/html; charset=utf-8\r\nContent-Encoding: gzip\r\n")
    out.write(b"X-Page-Accept-Encoding: " + ae.encode() + b"\r\n")
    out.write(b"Content-Length: %d\r\n\r\n" % len(body))
    out.write(body)
elif case == "json":
    out.write(b"Content-Type: application/json\r\n\r\n")
    out.write(b'{"html": "<body><!--doanra-->"}\n')
elif case == "text":
    out.write(b"Content-Type: text/plain; charset=utf-8\r\n\r\n<body><!--doanra-->\n")
elif case == "error":
    out.write(b"Status: 500 Internal Server Error\r\nContent-Type: text/html\r\n\r\n")
    out.write(page("marker"))
elif case == "length":
    body = page("marker")
    out.write(b"Content-Type: text/html; charset=utf-8\r\nETag: \"abc\"\r\n")
    out.write(b"Content-Length: %d\r\n\r\n" % len(body))
    out.write(body)
else:
    ctype = q.get("type", ["text/html; charset=utf-8"])[0]
    out.write(b"Content-Type: " + ctype.encode() + b"\r\n")
    out.write(b"X-Page-Accept-Encoding: " + ae.encode() + b"\r\n\r\n")
    out.write(page(case))
