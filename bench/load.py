"""Throughput under gunicorn: the app served as in production, driven by a bounded load.

`serve(url)` starts gunicorn with the project's gunicorn.conf.py (2 workers by default) on a
free loopback port against the database at `url` (COOP_ENV=production, a fresh SECRET_KEY,
PUBLIC_BASE_URL its own address);
`drive(actors, requests, seconds)` runs simulated users, one thread each, until `requests`
requests have been made or `seconds` have passed, whichever comes first. Every actor's step
is exactly one HTTP request over its own keep-alive connection, and every response is kept
as a `Sample`: an error is a 5xx or a connection failure.

`measure_load(url, scale, seconds, requests)` is the benchmark's part (issue 6): a cached
chart requested over and over, then a mix of reads (the county comparison API, a village's
dashboard page, the review queue) and writes (accountants creating and submitting entries
through the API, secretaries approving them). tests/test_load.py uses the same pieces.
"""

import http.client
import json
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONFIG = ROOT / "gunicorn.conf.py"
LOCKED = b"database is locked"
# A keep-alive connection idle this long is replaced before use (gunicorn's keepalive is 5 s),
# so a connection the server is closing is never mistaken for a failure.
STALE_AFTER = 2.0
CSRF_INPUT = re.compile(r'<input[^>]*name="csrf_token"[^>]*>')
VALUE = re.compile(r'value="([^"]*)"')


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    """A running gunicorn: its base URL, its process and the files its stdout and stderr go to."""

    base_url: str
    process: subprocess.Popen | None
    log_path: Path

    @property
    def stderr_path(self) -> Path:
        return self.log_path.with_name(self.log_path.name + ".stderr")

    def stdout(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def log(self) -> str:
        """Everything it wrote: standard output, then standard error."""
        return self.stdout() + self.stderr_path.read_text(encoding="utf-8", errors="replace")


@contextmanager
def serve(
    url: str, workers: int = 2, threads: int = 4, env: dict | None = None, log_path: Path | None = None
) -> Iterator[Server]:
    """gunicorn on a free loopback port against the (migrated) database at `url`; stopped on exit."""
    port = free_port()
    if log_path is None:
        log_path = Path(tempfile.mkdtemp(prefix="coop-gunicorn-")) / "gunicorn.log"
    environment = {
        **os.environ,
        "DATABASE_URL": url,
        "COOP_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        # Plain HTTP on loopback: the session cookie must travel without TLS here.
        "SESSION_COOKIE_SECURE": "0",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": str(workers),
        "GUNICORN_THREADS": str(threads),
        "PYTHONUNBUFFERED": "1",
        **(env or {}),
    }
    gunicorn = Path(sys.executable).parent / "gunicorn"
    command = [str(gunicorn), "--config", str(GUNICORN_CONFIG), "wsgi:app"]
    server = Server(f"http://127.0.0.1:{port}", None, log_path)
    with open(log_path, "wb") as out, open(server.stderr_path, "wb") as err:
        server.process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=out, stderr=err)
    process = server.process
    try:
        _wait_until_ready(server, port, workers)
        yield server
    finally:
        _stop(process)


def _wait_until_ready(server: Server, port: int, workers: int, limit: float = 60.0) -> None:
    """Until gunicorn answers and every worker has booted. (A worker still booting when the
    master is told to stop misses the signal; the master then waits its graceful timeout.)"""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and server.stdout().count("Booting worker") < workers:
        if server.process.poll() is not None:
            break
        time.sleep(0.05)
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.process.returncode}:\n{server.log()[-3000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/login")
            status = conn.getresponse().status
            conn.close()
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not answer within {limit:.0f} s:\n{server.log()[-3000:]}")


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM (a graceful stop: workers finish their requests), SIGKILL if it hangs — after
    longer than the config's graceful_timeout (30 s), by which the master stops stuck workers itself."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=45)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Sample:
    """One request: what it was, its status (0: connection failed), its time and whether it leaked a lock."""

    name: str
    status: int
    ms: float
    expected: bool
    locked: bool = False


@dataclass
class Response:
    status: int
    body: bytes
    headers: dict = field(default_factory=dict)

    def json(self):
        return json.loads(self.body)


class Client:
    """One simulated user: a keep-alive connection, its cookies and maybe a Bearer token."""

    def __init__(self, base_url: str, samples: list[Sample] | None = None):
        host, port = base_url.removeprefix("http://").split(":")
        self.host, self.port = host, int(port)
        self.samples = samples if samples is not None else []
        self.cookies: dict[str, str] = {}
        self.token: str | None = None
        self.conn: http.client.HTTPConnection | None = None
        self.last_used = 0.0

    def request(
        self, method: str, path: str, *, json_body=None, form: dict | None = None, name: str = "", expect=(200,)
    ) -> Response:
        """One request, recorded as a Sample under `name` (unrecorded when `name` is empty)."""
        headers = {"Accept": "application/json" if path.startswith("/api/") else "text/html"}
        body = None
        if json_body is not None:
            body, headers["Content-Type"] = json.dumps(json_body).encode(), "application/json"
        elif form is not None:
            body, headers["Content-Type"] = urlencode(form).encode(), "application/x-www-form-urlencoded"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.conn is None or time.monotonic() - self.last_used > STALE_AFTER:
            self.close()
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        start = time.perf_counter()
        try:
            self.conn.request(method, path, body=body, headers=headers)
            raw = self.conn.getresponse()
            resp = Response(raw.status, raw.read(), {k.lower(): v for k, v in raw.getheaders()})
            for value in raw.headers.get_all("Set-Cookie") or []:
                pair = value.split(";", 1)[0]
                key, _, val = pair.partition("=")
                self.cookies[key.strip()] = val.strip()
            if raw.will_close:
                self.close()
        except (OSError, http.client.HTTPException):
            self.close()
            resp = Response(0, b"")
        self.last_used = time.monotonic()
        if name:
            ms = (time.perf_counter() - start) * 1000
            self.samples.append(Sample(name, resp.status, ms, resp.status in expect, LOCKED in resp.body))
        return resp

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def log_in_api(self, username: str, password: str) -> "Client":
        """A Bearer token for `username` (POST /api/v1/tokens)."""
        resp = self.request("POST", "/api/v1/tokens", json_body={"username": username, "password": password})
        if resp.status != 201:
            raise RuntimeError(f"token for {username}: {resp.status} {resp.body[:300]!r}")
        self.token = resp.json()["token"]
        return self

    def log_in_web(self, username: str, password: str) -> "Client":
        """A session cookie for `username` through the real login form (CSRF token included)."""
        page = self.request("GET", "/login")
        match = CSRF_INPUT.search(page.body.decode("utf-8", "replace"))
        token = VALUE.search(match.group(0)).group(1) if match else ""
        form = {"username": username, "password": password, "csrf_token": token}
        resp = self.request("POST", "/login", form=form)
        if resp.status != 302 or "/login" in resp.headers.get("location", "/login"):
            raise RuntimeError(f"web login for {username}: {resp.status} {resp.body[:300]!r}")
        return self


class Reader:
    """Requests its pages in turn (GET)."""

    def __init__(self, client: Client, paths: list[tuple[str, str]]):
        self.client, self.paths, self.n = client, paths, 0

    def step(self) -> None:
        name, path = self.paths[self.n % len(self.paths)]
        self.n += 1
        self.client.request("GET", path, name=name)


class Accountant:
    """Creates an entry through the API, then submits it; again and again.

    Every accepted entry (201) is remembered with its note, a unique tag, in `accepted`.
    """

    def __init__(self, client: Client, project_id: int, period: str, tag: str, accepted: list, submitted: list):
        self.client, self.project_id, self.period, self.tag = client, project_id, period, tag
        self.accepted, self.submitted = accepted, submitted
        self.pending: int | None = None
        self.n = 0

    def step(self) -> None:
        if self.pending is not None:
            entry_id, self.pending = self.pending, None
            resp = self.client.request("POST", f"/api/v1/entries/{entry_id}/submit", json_body={}, name="submit")
            if resp.status == 200:
                self.submitted.append(entry_id)
            return
        self.n += 1
        note = f"{self.tag}-{self.n}"
        body = {"project_id": self.project_id, "period": self.period, "kind": "sales", "amount": "12.34", "note": note}
        resp = self.client.request("POST", "/api/v1/entries", json_body=body, name="create", expect=(201,))
        if resp.status == 201:
            entry_id = resp.json()["id"]
            self.accepted.append((entry_id, note))
            self.pending = entry_id


class Secretary:
    """Reads the village's submitted entries through the API and approves them one by one.

    Two secretaries may race for one entry: the loser's 409 is an expected answer.
    """

    def __init__(self, client: Client, village_code: str, approved: list):
        self.client, self.village_code, self.approved = client, village_code, approved
        self.queue: list[int] = []

    def step(self) -> None:
        if not self.queue:
            path = f"/api/v1/entries?status=submitted&village={self.village_code}&per_page=20"
            resp = self.client.request("GET", path, name="review_list")
            if resp.status == 200:
                self.queue = [item["id"] for item in resp.json()["items"]]
            return
        entry_id = self.queue.pop(0)
        path = f"/api/v1/entries/{entry_id}/approve"
        resp = self.client.request("POST", path, json_body={}, name="approve", expect=(200, 409))
        if resp.status == 200:
            self.approved.append(entry_id)


class Budget:
    """At most `requests` steps and no step started after `seconds`; thread-safe."""

    def __init__(self, requests: int, seconds: float):
        self.left, self.deadline = requests, time.monotonic() + seconds
        self.lock = threading.Lock()

    def take(self) -> bool:
        with self.lock:
            if self.left <= 0 or time.monotonic() >= self.deadline:
                return False
            self.left -= 1
            return True


def drive(actors: list, requests: int, seconds: float) -> float:
    """Run every actor in its own thread within the budget; the seconds it took."""
    budget = Budget(requests, seconds)
    failures: list[BaseException] = []

    def run(actor) -> None:
        try:
            while budget.take():
                actor.step()
        except BaseException as exc:  # noqa: BLE001 - a driver bug must not pass for a quiet server
            failures.append(exc)
        finally:
            actor.client.close()

    threads = [threading.Thread(target=run, args=(actor,), daemon=True) for actor in actors]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    elapsed = time.perf_counter() - start
    if failures:
        raise RuntimeError(f"a load client failed: {failures[0]!r}") from failures[0]
    return elapsed


def summary(name: str, samples: list[Sample], elapsed: float, clients: int) -> dict:
    """A result row shaped like bench.run.stats, plus rps, errors, requests, clients and statuses."""
    ms = sorted(s.ms for s in samples) or [0.0]
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    errors = sum(1 for s in samples if s.status == 0 or s.status >= 500)
    return {
        "name": name,
        "median_ms": round(statistics.median(ms), 3),
        "p95_ms": round(p95, 3),
        "floor_ms": None,
        "ratio": None,
        "rps": round(len(samples) / elapsed, 1) if elapsed > 0 else 0.0,
        "errors": errors,
        "unexpected": sum(1 for s in samples if not s.expected and s.status != 0 and s.status < 500),
        "locked": sum(1 for s in samples if s.locked),
        "requests": len(samples),
        "clients": clients,
        "seconds": round(elapsed, 2),
        "statuses": {str(k): v for k, v in sorted(Counter(s.status for s in samples).items())},
    }


def _bench_targets(url: str):
    """Villages (code, project id) with staff, and a year with data, read from the generated county."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT a.code, MIN(p.id) FROM areas a JOIN projects p ON p.village_id = a.id "
                    "WHERE a.level = 'village' GROUP BY a.id, a.code ORDER BY a.id LIMIT 3"
                )
            ).all()
    finally:
        engine.dispose()
    return [(code, int(pid)) for code, pid in rows]


def measure_load(url: str, scale, seconds: float, requests: int) -> list[dict]:
    """Two bounded runs under gunicorn (2 workers) on the generated county at `url`.

    `load_chart_cached`: one cached chart, 8 clients; `load_mixed`: 6 accountants writing,
    3 secretaries approving, 3 readers. Each run stops after `requests` requests or `seconds`.
    """
    from bench.generate import COUNTY_CODE, PASSWORD, usernames
    from coopapp.ledger.operations import current_period

    year = date.today().year - 1
    villages = _bench_targets(url)
    if not villages:
        raise RuntimeError("no village with a project in the bench database")
    code, project_id = villages[0]
    results = []
    with serve(url, workers=2) as server:
        # (a) the same chart, served from each worker's cache after a warm-up that draws it.
        samples: list[Sample] = []
        chart = f"/charts/project/{project_id}/output.png?year={year}"
        clients = [Client(server.base_url, samples).log_in_web("bench.reviewer", PASSWORD) for _ in range(8)]
        for client in clients:
            client.request("GET", chart)
            client.request("GET", chart)
        elapsed = drive([Reader(c, [("chart_cached", chart)]) for c in clients], requests, seconds)
        results.append(summary("load_chart_cached", samples, elapsed, len(clients)))

        # (b) reads and writes at once.
        samples = []
        accepted: list = []
        submitted: list = []
        approved: list = []
        actors: list = []
        period, tag = current_period(), f"load-{secrets.token_hex(3)}"
        for n, (vcode, pid) in enumerate(villages):
            accountant, secretary = usernames(vcode)
            for k in range(2):
                client = Client(server.base_url, samples).log_in_api(accountant, PASSWORD)
                actors.append(Accountant(client, pid, period, f"{tag}-{n}-{k}", accepted, submitted))
            actors.append(Secretary(Client(server.base_url, samples).log_in_api(secretary, PASSWORD), vcode, approved))
        secretary_web = Client(server.base_url, samples).log_in_web(usernames(code)[1], PASSWORD)
        reviewer_api = Client(server.base_url, samples).log_in_api("bench.reviewer", PASSWORD)
        reviewer_web = Client(server.base_url, samples).log_in_web("bench.reviewer", PASSWORD)
        actors += [
            Reader(reviewer_api, [("compare", f"/api/v1/compare?area={COUNTY_CODE}&year={year}")]),
            Reader(reviewer_web, [("village_dashboard", f"/villages/{code}?year={year}")]),
            Reader(secretary_web, [("review_queue", "/review")]),
        ]
        elapsed = drive(actors, requests, seconds)
        row = summary("load_mixed", samples, elapsed, len(actors))
        row.update(accepted=len(accepted), submitted=len(submitted), approved=len(approved))
        row["median_ms_by_request"] = {
            name: round(statistics.median(s.ms for s in samples if s.name == name), 3)
            for name in sorted({s.name for s in samples})
        }
        results.append(row)
    return results


def main(argv: list[str] | None = None) -> list[dict]:
    """`python -m bench.load URL [--seconds S] [--requests N]` on a generated county; prints the rows."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("url", help="the database of a county made by `coop bench generate` (it is written to)")
    parser.add_argument("--seconds", type=float, default=10.0, help="time limit of each run")
    parser.add_argument("--requests", type=int, default=5000, help="request limit of each run")
    args = parser.parse_args(argv)
    rows = measure_load(args.url, None, args.seconds, args.requests)
    for row in rows:
        print(json.dumps(row, ensure_ascii=False))
    return rows


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
