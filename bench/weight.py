"""Page weight: the bytes a phone transfers to show a page on its first visit (nothing cached).

The page and every asset it references — stylesheets, scripts, icons and the manifest named by
`<link>`, images (`<img>`, `<source>`, `<input type=image>`), and what a stylesheet's `url(…)`
names — each fetched once through the app's test client with a phone's `Accept-Encoding`; a body
counts as sent: compressed when the server compresses it (`Content-Encoding`), raw otherwise,
plus its status line and headers. Inline `data:` URLs are inside the page already. Lazy images
count too (a first visit may scroll to them). The bench reports it (`page_weight`) and
tests/test_page_weight.py holds every main page to TARGET_BYTES.
"""

import re
import statistics
import time
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

TARGET_BYTES = 150_000  # 150 KB, as a browser's network panel counts them (kB = 1000 bytes)
PHONE = {
    "Accept-Encoding": "gzip, deflate, br",
    "User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) MicroMessenger/8.0",
}
_LINK_RELS = {"stylesheet", "icon", "shortcut", "apple-touch-icon", "manifest", "preload", "modulepreload"}
_CSS_URL = re.compile(r"""url\(\s*['"]?([^'")\s]+)""")


class _References(HTMLParser):
    """The URLs a page makes the browser fetch as it loads. A lazy image inside a closed <details>
    (with its <picture>'s sources) is not fetched until the fold is opened: not counted."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.details: list[bool] = []  # each open <details> element: is it closed?
        self.sources: list[str] | None = None  # inside a <picture>: its sources, until its <img> says

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "details":
            self.details.append("open" not in a)
        elif tag == "picture":
            self.sources = []
        elif tag == "link" and _LINK_RELS & set((a.get("rel") or "").lower().split()):
            self.urls.append(a.get("href") or "")
        elif tag == "source" and self.sources is not None:
            self.sources.append(_src(a))
        elif tag == "img":
            sources, self.sources = self.sources or [], None
            if not ((a.get("loading") or "").lower() == "lazy" and any(self.details)):
                self.urls += [*sources, _src(a)]
        elif tag == "script" or tag == "source":
            self.urls.append(_src(a))
        elif tag == "input" and (a.get("type") or "").lower() == "image":
            self.urls.append(a.get("src") or "")

    def handle_endtag(self, tag):
        if tag == "details" and self.details:
            self.details.pop()
        elif tag == "picture":
            self.sources = None


def _src(a: dict) -> str:
    """An element's URL; of a srcset, the first candidate (a phone fetches one)."""
    if a.get("src") or "srcset" not in a:
        return a.get("src") or ""
    return a["srcset"].split(",")[0].split()[0]


def _sent_bytes(resp) -> int:
    """What a response puts on the wire: status line, headers, the body as sent."""
    head = len(f"HTTP/1.1 {resp.status}\r\n".encode())
    head += sum(len(f"{k}: {v}\r\n".encode()) for k, v in resp.headers.items()) + 2
    return head + len(resp.get_data())


def _fetch(client, url: str):
    resp = client.get(url, headers=PHONE)
    if resp.status_code != 200:
        raise AssertionError(f"{url}: {resp.status_code}")
    return resp


def first_load(client, path: str) -> dict:
    """The first visit to `path`: {"path", "html" bytes, "assets": {url: bytes}, "total" bytes}. An
    asset that does not load (not 200) or lives on another host fails loudly: a phone would miss it."""
    page = _fetch(client, path)
    found = _References()
    found.feed(page.get_data(as_text=True))
    queue = [urljoin(path, u) for u in found.urls if u and not u.startswith("data:")]
    assets: dict[str, int] = {}
    while queue:
        url = queue.pop(0)
        if url in assets:
            continue
        parts = urlsplit(url)
        if parts.scheme or parts.netloc:
            raise AssertionError(f"{path} loads {url} from another host")
        resp = _fetch(client, url)
        assets[url] = _sent_bytes(resp)
        if resp.mimetype == "text/css":
            queue += [
                urljoin(url, u) for u in _CSS_URL.findall(resp.get_data(as_text=True)) if not u.startswith("data:")
            ]
    html = _sent_bytes(page)
    return {"path": path, "html": html, "assets": assets, "total": html + sum(assets.values())}


def measure_page_weight(url: str, repeat: int = 3) -> dict:
    """The bench's `page_weight` row on the generated county at `url`: each main page's first-load
    bytes (`pages`), the largest (`max_bytes`), and the time to load one (ms)."""
    from sqlalchemy import select

    from bench.generate import PASSWORD, usernames
    from coopapp import create_app
    from coopapp.extensions import db
    from coopapp.models import Area, Household

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        village = db.session.scalars(select(Area).where(Area.level == "village").order_by(Area.id)).first()
        token = db.session.scalar(
            select(Household.public_token).where(Household.village_id == village.id).order_by(Household.id).limit(1)
        )
        code = village.code
        db.session.remove()
    accountant, secretary = usernames(code)
    clients = {}
    for who, username in (("accountant", accountant), ("secretary", secretary), ("reviewer", "bench.reviewer")):
        clients[who] = app.test_client()
        clients[who].post("/login", data={"username": username, "password": PASSWORD})
    visitor = app.test_client()
    pages = {
        "home_accountant": (clients["accountant"], "/"),
        "ledger": (clients["accountant"], "/entries"),
        "home_secretary": (clients["secretary"], "/"),
        "review_queue": (clients["secretary"], "/review"),
        "home_reviewer": (clients["reviewer"], "/"),
        "public_village": (visitor, f"/p/{code}"),
        "statement": (visitor, f"/s/{token}"),
    }
    weights, samples = {}, []
    for name, (client, path) in pages.items():
        for _ in range(repeat):
            start = time.perf_counter()
            weights[name] = first_load(client, path)["total"]
            samples.append((time.perf_counter() - start) * 1000)
    ordered = sorted(samples)
    return {
        "name": "page_weight",
        "median_ms": round(statistics.median(ordered), 3),
        "p95_ms": round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))], 3),
        "floor_ms": None,
        "ratio": None,
        "pages": weights,
        "max_bytes": max(weights.values()),
    }
