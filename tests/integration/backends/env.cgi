#!/usr/bin/python3
# env.cgi - a CGI backend that shows the DOANRA_* environment variables the
# module set for it (SPEC: what the application behind reads), as response
# headers X-Env-Doanra-* and lines in <pre id="echo">.
import os
import sys

sys.stdin.buffer.read(int(os.environ.get("CONTENT_LENGTH") or 0))
env = sorted((k, v) for k, v in os.environ.items() if k.startswith("DOANRA_"))
out = sys.stdout.buffer
out.write(b"Content-Type: text/html; charset=utf-8\r\n")
out.write(b"X-Echo-Sha256: cgi-env\r\n")
for k, v in env:
    out.write(("X-Env-%s: %s\r\n" % (k.replace("_", "-").title(), v)).encode())
out.write(b"\r\n<!DOCTYPE html><html><body><pre id=\"echo\">\n")
for k, v in env:
    out.write(("%s: %s\n" % (k, v)).encode())
out.write(b"</pre></body></html>\n")
