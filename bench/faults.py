#!/usr/bin/env python3
"""Clients for bench/faults.sh (standard library only).

  faults.py orders BASE TOKENS_FILE BODIES_FILE N THREADS RESULT_JSON
      Places N orders, each with its own Idempotency-Key, retrying (same key, same body) on a
      connection error or a 503 until a 201 arrives (or a 409 that is not a retry-able
      idempotency_in_flight). Records every status seen and, for each restart announced by
      bench/faults.sh through the file RESULT_JSON + ".restart" (one UNIX time a line), the time
      to the first 201 after it.

  faults.py inflight BASE ACCOUNTS_FILE PASSWORD N RESULT_JSON
      Sends N logins at once (argon2 makes each take a while) and records their statuses.
"""
import json
import os
import sys
import threading
import time
import urllib.error
import urllib.request


def post(url, body, token=None, key=None, timeout=30):
    data = json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method="POST")
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    if key:
        req.add_header("Idempotency-Key", key)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as res:
            return res.status, res.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except Exception as e:  # connection refused/reset, timeout
        return None, str(e).encode()


def orders(base, tokens_file, bodies_file, n, threads, result):
    tokens = [t.strip() for t in open(tokens_file) if t.strip()]
    bodies = [json.loads(b) for b in open(bodies_file) if b.strip()]
    lock = threading.Lock()
    seen = {}
    successes = []  # (time, key, order id)
    retries = [0]
    next_i = [0]
    run = str(int(time.time()))

    def worker():
        while True:
            with lock:
                i = next_i[0]
                next_i[0] += 1
            if i >= n:
                return
            key = "fault-a-%s-%d" % (run, i)
            body = dict(bodies[i % len(bodies)])
            body["note"] = key
            token = tokens[i % len(tokens)]
            time.sleep(0.02)  # paced, so that the run spans both restarts
            while True:
                status, text = post(base + "/api/v1/orders", body, token, key)
                with lock:
                    seen[str(status)] = seen.get(str(status), 0) + 1
                if status == 201:
                    with lock:
                        successes.append((time.time(), key, json.loads(text)["id"]))
                    break
                if status == 409 and b"idempotency_in_flight" not in text:
                    break
                if status is not None and status not in (409, 503):
                    sys.stderr.write("unexpected %s for %s: %s\n" % (status, key, text[:300]))
                    break
                with lock:
                    retries[0] += 1
                time.sleep(0.1)

    ts = [threading.Thread(target=worker) for _ in range(threads)]
    started = time.time()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    restarts = []
    if os.path.exists(result + ".restart"):
        restarts = [float(x) for x in open(result + ".restart") if x.strip()]
    recovery = []
    for r in restarts:
        after = [s[0] for s in successes if s[0] > r]
        recovery.append(round(min(after) - r, 3) if after else None)
    out = {
        "orders_acknowledged": len(successes),
        "distinct_order_ids": len({s[2] for s in successes}),
        "statuses": seen,
        "retries": retries[0],
        "seconds": round(time.time() - started, 1),
        "restarts": len(restarts),
        "time_to_first_success_after_restart_s": recovery,
        "run": run,
    }
    json.dump(out, open(result, "w"))
    print(json.dumps(out))


def inflight(base, accounts_file, password, n, result, ready_file):
    """Sends n logins on n connections, then touches ready_file (the caller sends SIGTERM on
    seeing it) and waits for the answers, noting when each arrived."""
    import http.client
    from urllib.parse import urlparse

    url = urlparse(base)
    emails = [a.strip() for a in open(accounts_file) if a.strip()][:n]
    statuses = [None] * len(emails)
    answered_at = [None] * len(emails)
    sent = threading.Barrier(len(emails) + 1)

    def one(i):
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
        body = json.dumps({"email": emails[i], "password": password})
        try:
            conn.request("POST", "/api/v1/auth/login", body, {"Content-Type": "application/json"})
        finally:
            sent.wait()
        try:
            res = conn.getresponse()
            text = res.read()
            statuses[i] = res.status
            answered_at[i] = time.time()
            if res.status != 200:
                sys.stderr.write("login %d: %s %s\n" % (i, res.status, text[:200]))
        except Exception as e:  # closed without an answer
            sys.stderr.write("login %d: %s\n" % (i, e))

    ts = [threading.Thread(target=one, args=(i,)) for i in range(len(emails))]
    for t in ts:
        t.start()
    sent.wait()
    open(ready_file, "w").write(str(time.time()))
    for t in ts:
        t.join()
    out = {
        "sent": len(emails),
        "statuses": {str(s): statuses.count(s) for s in set(statuses)},
        "answered_at": [t for t in answered_at if t is not None],
    }
    json.dump(out, open(result, "w"))
    print(json.dumps(out))


if __name__ == "__main__":
    if sys.argv[1] == "orders":
        orders(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6]), sys.argv[7])
    elif sys.argv[1] == "inflight":
        inflight(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6], sys.argv[7])
    else:
        sys.exit(__doc__)
