#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Cost of requests to a running daemon's HTTP listener: a new connection per request, one
after the other. Usage: bench/http.py http://127.0.0.1:9860 [N] [PATH...]"""
import http.client
import sys
import time
import urllib.parse

base = urllib.parse.urlparse(sys.argv[1])
n = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
paths = sys.argv[3:] or ["/metrics", "/api/v1/clusters", "/"]
for path in paths:
    t = time.time()
    size = 0
    for _ in range(n):
        c = http.client.HTTPConnection(base.hostname, base.port)
        c.request("GET", path)
        size = len(c.getresponse().read())
        c.close()
    print(f"{path}: {n} requests, {size} bytes each: {(time.time() - t) / n * 1000:.2f} ms/request")
