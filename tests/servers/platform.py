#!/usr/bin/env python3
"""A loopback stand-in for the platform's webhooks, for the ul-push tests.

    python3 platform.py [PORT]

Listens on 127.0.0.1 (PORT, or one the system picks), prints the port as the
first line of stdout, and serves until killed or 60 seconds without a
request. It speaks ultralytics/utils/callbacks/platform.py's protocol:

    POST /api/webhooks/training/metrics   {event, project, name, data, modelId?}
        401 unless "Authorization: Bearer test-key". Events are recorded once
        per Idempotency-Key; a repeat is counted, not recorded. training_started
        answers {modelId, runId, modelSlug}, the others {} (or cancelled).
    POST /api/webhooks/models/upload      {project, name, filename, ...}
        -> {uploadUrl: /upload/N?sig=secret, gcsPath, uploadPath}
    PUT  /upload/N                        the file; size and SHA-256 recorded

Told what to do by POST /__mode with a JSON object, merged into the mode:
    {"fail": {"status": 500, "count": 3, "retry_after": 1}}
                        the next COUNT metrics requests get STATUS (with
                        Retry-After when given), unrecorded
    {"drop": N}         the next N events are recorded, then the connection
                        is closed with no answer (the client must retry)
    {"stall": true}     events are recorded, then answered only once stall
                        is set false again
    {"cancel_at": E}    epoch_end for 0-based epoch >= E answers cancelled
    {"put_delay": S}    each upload PUT takes S seconds
GET /__log: {"events", "duplicates", "requests", "uploads", "upload_urls",
"max_parallel_uploads"}, where requests lists every metrics request as
{key, event, status, t}.
"""
import hashlib
import http.server
import json
import sys
import threading
import time

IDLE_LIMIT = 60

lock = threading.Lock()
unstalled = threading.Condition(lock)
mode = {}
events, requests, uploads, upload_urls = [], [], [], []
seen_keys = set()
state = {"duplicates": 0, "parallel": 0, "max_parallel": 0, "last": time.monotonic()}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body leave at once, no 40 ms delayed-ACK stall

    def log_message(self, *args):
        pass

    def handle(self):
        try:
            super().handle()
        except (BrokenPipeError, ConnectionResetError):
            pass

    def body(self):
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def reply(self, status, obj=None, headers=None):
        data = json.dumps(obj if obj is not None else {}).encode()
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        with lock:
            state["last"] = time.monotonic()
            if self.path == "/__log":
                log = {"events": events, "duplicates": state["duplicates"], "requests": requests,
                       "uploads": uploads, "upload_urls": upload_urls,
                       "max_parallel_uploads": state["max_parallel"]}
                return self.reply(200, log)
        self.reply(404)

    def do_POST(self):
        data = self.body()
        with lock:
            state["last"] = time.monotonic()
        if self.path == "/__mode":
            with lock:
                mode.update(json.loads(data))
                unstalled.notify_all()
            return self.reply(200)
        if self.headers.get("Authorization") != "Bearer test-key":
            with lock:
                requests.append({"key": self.headers.get("Idempotency-Key"), "status": 401, "t": time.monotonic()})
            return self.reply(401, {"error": "invalid API key"})
        payload = json.loads(data)
        if self.path == "/api/webhooks/models/upload":
            return self.upload_url(payload)
        if self.path == "/api/webhooks/training/metrics":
            return self.metrics(payload)
        self.reply(404)

    def metrics(self, payload):
        key = self.headers.get("Idempotency-Key")
        entry = {"key": key, "event": payload.get("event"), "t": time.monotonic()}
        with lock:
            fail = mode.get("fail")
            if fail and fail.get("count", 0) > 0:
                fail["count"] -= 1
                requests.append(dict(entry, status=fail["status"]))
                headers = {"Retry-After": str(fail["retry_after"])} if "retry_after" in fail else {}
                return self.reply(fail["status"], {"error": "told to fail"}, headers)
            requests.append(dict(entry, status=200))
            if key in seen_keys:
                state["duplicates"] += 1
            else:
                seen_keys.add(key)
                events.append(dict(payload, key=key))
            if mode.get("drop", 0) > 0:
                mode["drop"] -= 1
                self.close_connection = True
                return
            while mode.get("stall"):
                unstalled.wait()
            answer = {}
            if payload.get("event") == "training_started":
                answer = {"modelId": "model-1", "runId": "run-1", "modelSlug": payload.get("name")}
            cancel_at = mode.get("cancel_at")
            if payload.get("event") == "epoch_end" and cancel_at is not None and payload["data"]["epoch"] >= cancel_at:
                answer = {"cancelled": True}
        self.reply(200, answer)

    def upload_url(self, payload):
        with lock:
            upload_urls.append(payload)
            n = len(upload_urls)
        port = self.server.server_address[1]
        where = "%s/%s/%s" % (payload["project"], payload["name"], payload["filename"])
        self.reply(200, {"uploadUrl": "http://127.0.0.1:%d/upload/%d?sig=secret" % (port, n),
                         "gcsPath": "gs://test-bucket/" + where, "uploadPath": where})

    def do_PUT(self):
        with lock:
            state["last"] = time.monotonic()
            state["parallel"] += 1
            state["max_parallel"] = max(state["max_parallel"], state["parallel"])
            delay = mode.get("put_delay", 0)
        data = self.body()
        time.sleep(delay)
        with lock:
            state["parallel"] -= 1
            uploads.append({"path": self.path, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(),
                            "auth": self.headers.get("Authorization")})
        self.reply(200)


server = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 0), Handler)
server.daemon_threads = True
print(server.server_address[1], flush=True)
threading.Thread(target=server.serve_forever, daemon=True).start()
while time.monotonic() - state["last"] < IDLE_LIMIT:
    time.sleep(1)
