#!/usr/bin/env python3
"""A loopback HTTP/1.1 server for the download tests.

    python3 httpd.py DIR

Listens on 127.0.0.1 on a port the system picks, prints that port as the
first line of stdout, and serves the files in DIR until killed, or until
60 seconds pass without a request, so it never outlives a test run.

Paths, beside plain files (with Range):
    /status/N                 answers status N
    /flaky/N/FILE             the first N requests get 500, then FILE
    /slowretry/FILE           the first request gets 429 with Retry-After: 1, then FILE
    /auth/FILE                401 unless "Authorization: Bearer test-key"
    /redirect?to=URL          302 to URL
    /stall/FILE               headers and 16 bytes, then nothing
    /truncate/N/FILE          the first N requests end half way through the body
    /norange/FILE             FILE, ignoring Range
    /nolength/FILE            FILE without Content-Length, ended by closing
    /api/datasets/OWNER/NAME/export
                              the Platform's export: 401 without "Bearer test-key",
                              409 for NAME "processing", 404 without DIR/NAME.ndjson,
                              else 302 to /NAME.ndjson?sig=secret
    /__log                    every request so far: [{"path", "range"}...]
"""
import http.server
import json
import os
import sys
import threading
import time
import urllib.parse

IDLE_LIMIT = 60

root = sys.argv[1]
lock = threading.Lock()
log = []
seen = {}  # requests per path, for the behaviours that change over time
last_request = time.monotonic()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def handle(self):
        try:
            super().handle()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client hung up on purpose: a size cap, a stall, a stop

    def do_GET(self):
        global last_request
        path, _, query = self.path.partition("?")
        with lock:
            last_request = time.monotonic()
            if path == "/__log":
                return self.reply(200, json.dumps(log).encode())
            log.append({"path": path, "range": self.headers.get("Range")})
            seen[path] = count = seen.get(path, 0) + 1
        self.dispatch(path.split("/")[1:], query, count)

    def dispatch(self, parts, query, count):
        kind = parts[0]
        if kind == "status":
            self.reply(int(parts[1]))
        elif kind == "flaky":
            if count <= int(parts[1]):
                self.reply(500)
            else:
                self.send_file(parts[2])
        elif kind == "slowretry":
            if count == 1:
                self.reply(429, headers={"Retry-After": "1"})
            else:
                self.send_file(parts[1])
        elif kind == "auth":
            if self.headers.get("Authorization") == "Bearer test-key":
                self.send_file(parts[1])
            else:
                self.reply(401)
        elif kind == "redirect":
            self.reply(302, headers={"Location": urllib.parse.parse_qs(query)["to"][0]})
        elif kind == "stall":
            data = self.read(parts[1])
            self.reply(200, data[:16], length=len(data))
            self.wfile.flush()
            time.sleep(3600)
        elif kind == "truncate":
            self.send_file(parts[2], cut=count <= int(parts[1]))
        elif kind == "norange":
            self.send_file(parts[1], ranges=False)
        elif kind == "nolength":
            data = self.read(parts[1])
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(data)
            self.close_connection = True
        elif kind == "api" and len(parts) == 5 and parts[1] == "datasets" and parts[4] == "export":
            name = parts[3]
            if self.headers.get("Authorization") != "Bearer test-key":
                self.reply(401)
            elif name == "processing":
                self.reply(409)
            elif not os.path.exists(os.path.join(root, name + ".ndjson")):
                self.reply(404)
            else:
                self.reply(302, headers={"Location": "/%s.ndjson?sig=secret" % name})
        else:
            self.send_file("/".join(parts))

    def read(self, name):
        with open(os.path.join(root, name), "rb") as f:
            return f.read()

    def reply(self, status, body=None, headers=None, length=None):
        body = body if body is not None else b"%d\n" % status
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        self.wfile.write(body)

    def send_file(self, name, ranges=True, cut=False):
        try:
            data = self.read(name)
        except OSError:
            return self.reply(404)
        status, start, extra = 200, 0, {}
        wanted = self.headers.get("Range")
        if ranges and wanted and wanted.startswith("bytes=") and wanted.endswith("-"):
            start = int(wanted[6:-1])
            if start >= len(data):
                return self.reply(416, headers={"Content-Range": "bytes */%d" % len(data)})
            status = 206
            extra["Content-Range"] = "bytes %d-%d/%d" % (start, len(data) - 1, len(data))
        body = data[start:]
        if not cut:
            return self.reply(status, body, extra)
        # Announce the whole body, send half, hang up.
        self.reply(status, body[: len(body) // 2], extra, length=len(body))
        self.wfile.flush()
        self.close_connection = True


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
threading.Thread(target=server.serve_forever, daemon=True).start()
while time.monotonic() - last_request < IDLE_LIMIT:
    time.sleep(1)
