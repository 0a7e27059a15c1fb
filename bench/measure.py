"""The benchmark's measurements on one generated database (see bench/run.py)."""

import json
import time
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select, text

from bench.run import interleaved, stats, timed

SUMMARY_SQL = """
SELECT village_id, SUM(amount_fen) FROM project_year_summaries
WHERE year = :year AND kind = 'collective_income' GROUP BY village_id
"""
# The comparison's answer by one hand-written query over the summary tables: per village of the
# county its income and output this year and last, roster counts (all and formerly poor), this
# year's and last year's benefit figures (households benefited, total and median payout, all and
# formerly poor), income and output targets, and per peer group (type/unit) its output and
# capacity, from which the yields come, and since issue 14 its party figures (groups in use, those
# with a party organisation of their own or covered by a joint branch, organisations by kind,
# group-level branches, cooperatives led by one), and since issue 18 its spending and net income
# by the income statement (`core.income_statement`) — every figure the API's rows are made of. The
# money and the roster counts come from the village-year summaries and the village rosters, as the
# API reads them (both added in issue 14's last session). The floor the API is measured against
# (with json.dumps of the rows, since the API's answer is JSON too).
FLOOR_SQL = """
WITH v AS (
  SELECT a.id, a.code, a.name, t.name AS town FROM areas a JOIN areas t ON t.id = a.parent_id
  WHERE a.level = 'village' AND a.path LIKE :prefix),
groups AS (
  SELECT pr.village_id, pr.type, COALESCE(pr.capacity_unit, '') AS unit,
    SUM(CASE WHEN pr.capacity > 0 AND pr.capacity_unit <> '' THEN COALESCE(o.amount_fen, 0) ELSE 0 END) AS output,
    SUM(CASE WHEN pr.capacity > 0 AND pr.capacity_unit <> '' THEN pr.capacity ELSE 0 END) AS capacity,
    SUM(t.collective_income_fen) AS income_target, SUM(t.output_fen) AS output_target
  FROM projects pr LEFT JOIN project_year_summaries o ON o.project_id = pr.id AND o.year = :year AND o.kind = 'output'
  LEFT JOIN project_targets t ON t.project_id = pr.id AND t.year = :year
  GROUP BY pr.village_id, pr.type, COALESCE(pr.capacity_unit, '')),
per_village AS (
  SELECT village_id, SUM(income_target) AS income_target, SUM(output_target) AS output_target,
    {agg}(type || '/' || unit || '=' || output || '/' || capacity, ';') AS yields
  FROM groups GROUP BY village_id),
grp AS (
  SELECT g.parent_id AS village_id, COUNT(*) AS n,
    SUM(CASE WHEN EXISTS (SELECT 1 FROM party_orgs p WHERE p.area_id = g.id)
      OR EXISTS (SELECT 1 FROM party_org_groups j WHERE j.group_id = g.id) THEN 1 ELSE 0 END) AS covered
  FROM areas g WHERE g.level = 'group' AND NOT g.retired AND g.path LIKE :prefix GROUP BY g.parent_id),
orgs AS (
  SELECT CASE WHEN a.level = 'group' THEN a.parent_id ELSE a.id END AS village_id,
    SUM(CASE WHEN p.kind = 'committee' THEN 1 ELSE 0 END) AS committee,
    SUM(CASE WHEN p.kind = 'general_branch' THEN 1 ELSE 0 END) AS general_branch,
    SUM(CASE WHEN p.kind = 'branch' THEN 1 ELSE 0 END) AS branch,
    SUM(CASE WHEN p.kind = 'joint_branch' THEN 1 ELSE 0 END) AS joint_branch,
    SUM(CASE WHEN p.kind = 'joint_branch' OR (a.level = 'group' AND p.kind = 'branch') THEN 1 ELSE 0 END) AS branches
  FROM party_orgs p JOIN areas a ON a.id = p.area_id WHERE a.path LIKE :prefix
  GROUP BY CASE WHEN a.level = 'group' THEN a.parent_id ELSE a.id END),
led AS (SELECT village_id, COUNT(*) AS n FROM cooperatives WHERE party_org_id IS NOT NULL GROUP BY village_id)
SELECT v.code, v.name, v.town,
  COALESCE(m.collective_income_fen, 0), COALESCE(m.output_fen, 0),
  COALESCE(ml.collective_income_fen, 0), COALESCE(ml.output_fen, 0),
  COALESCE(r.households, 0), COALESCE(r.formerly_poor, 0),
  b.households_benefited, b.benefit_total_fen, b.benefit_median_fen,
  b.formerly_poor_benefited, b.formerly_poor_benefit_total_fen, b.formerly_poor_benefit_median_fen,
  l.households_benefited, l.benefit_total_fen, l.formerly_poor_benefited, l.formerly_poor_benefit_total_fen,
  g.income_target, g.output_target, g.yields,
  gr.n, gr.covered, o.committee, o.general_branch, o.branch, o.joint_branch, o.branches, c.n,
  COALESCE(m.spending_fen, 0), COALESCE(m.statement_income_fen, 0) - COALESCE(m.spending_fen, 0)
FROM v
LEFT JOIN village_year_summaries m ON m.village_id = v.id AND m.year = :year
LEFT JOIN village_year_summaries ml ON ml.village_id = v.id AND ml.year = :last
LEFT JOIN village_rosters r ON r.village_id = v.id
LEFT JOIN village_benefit_summaries b ON b.village_id = v.id AND b.year = :year
LEFT JOIN village_benefit_summaries l ON l.village_id = v.id AND l.year = :last
LEFT JOIN per_village g ON g.village_id = v.id
LEFT JOIN grp gr ON gr.village_id = v.id
LEFT JOIN orgs o ON o.village_id = v.id
LEFT JOIN led c ON c.village_id = v.id
ORDER BY 4 DESC, v.code
"""
# The same figures (but the medians) straight from the ledger, for the summaries' gain.
RAW_SQL = """
WITH money AS (
  SELECT village_id,
    SUM(CASE WHEN period >= :first AND kind = 'collective_income' THEN amount_fen ELSE 0 END) AS income,
    SUM(CASE WHEN period >= :first AND kind = 'output' THEN amount_fen ELSE 0 END) AS output,
    SUM(CASE WHEN period < :first AND kind = 'collective_income' THEN amount_fen ELSE 0 END) AS income_last,
    SUM(CASE WHEN period < :first AND kind = 'output' THEN amount_fen ELSE 0 END) AS output_last,
    SUM(CASE WHEN period >= :first AND kind IN ({spending}) THEN amount_fen ELSE 0 END) AS spending,
    SUM(CASE WHEN period >= :first AND kind IN ({income}) THEN amount_fen ELSE 0 END) AS statement_income
  FROM ledger_entries WHERE status = 'approved' AND period BETWEEN :last_first AND :last
  GROUP BY village_id),
paid AS (
  SELECT village_id, household_id, SUM(amount_fen) AS fen FROM ledger_entries
  WHERE status = 'approved' AND household_id IS NOT NULL AND kind IN ({payouts})
    AND period BETWEEN :first AND :last
  GROUP BY village_id, household_id),
benefit AS (SELECT village_id, COUNT(*) AS n, SUM(fen) AS total FROM paid WHERE fen > 0 GROUP BY village_id)
SELECT m.village_id, m.income, m.output, m.income_last, m.output_last, b.n, b.total,
  m.spending, m.statement_income - m.spending
FROM money m LEFT JOIN benefit b ON b.village_id = m.village_id
"""
SUBMITTED = 25  # entries waiting in the review queue (fewer on a tiny run)


def measure(url: str, scale, repeat: int) -> list[dict]:
    """Every measurement on the database at `url`; one result row each."""
    from bench.generate import COUNTY_CODE, PASSWORD, usernames
    from coopapp import create_app
    from coopapp.core.income_statement import EXPENSE_KINDS, INCOME_KINDS
    from coopapp.core.vocabulary import PAYOUT_KINDS
    from coopapp.extensions import db
    from coopapp.models import Area, Project

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    year = date.today().year - 1
    results = []
    with app.app_context():
        village = db.session.scalars(select(Area).where(Area.level == "village").order_by(Area.id)).first()
        project = (
            db.session.scalars(
                select(Project)
                .where(Project.village_id == village.id, Project.type == "beekeeping")
                .order_by(Project.id)
            ).first()
            or db.session.scalars(select(Project).where(Project.village_id == village.id)).first()
        )
        code, project_id = village.code, project.id
        accountant_name, secretary_name = usernames(code)
        db.session.remove()

    api = app.test_client()
    token = api.post("/api/v1/tokens", json={"username": "bench.reviewer", "password": PASSWORD}).get_json()["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    web = app.test_client()
    web.post("/login", data={"username": secretary_name, "password": PASSWORD})
    reviewer_web = app.test_client()
    reviewer_web.post("/login", data={"username": "bench.reviewer", "password": PASSWORD})

    def get(client, path, **kw):
        resp = client.get(path, **kw)
        assert resp.status_code == 200, (path, resp.status_code, resp.get_data(as_text=True)[:300])
        return resp

    # Requests run outside any app context of ours: each gets its own, as in production.
    compare_path = f"/api/v1/compare?area={COUNTY_CODE}&year={year}"
    api_rows = get(api, compare_path, headers=bearer).get_json()["rows"]
    params = {"year": year, "first": f"{year}-01", "last": f"{year}-12", "last_first": f"{year - 1}-01"}
    raw_query = text(
        RAW_SQL.format(payouts=_quoted(PAYOUT_KINDS), spending=_quoted(EXPENSE_KINDS), income=_quoted(INCOME_KINDS))
    )

    def summary_sql():
        return dict(db.session.execute(text(SUMMARY_SQL), params).all())

    # `on`: the session (while checking the answers) or a connection of its own (while timing)
    def floor_sql(on):
        rows = on.execute(floor_query, floor_params).all()
        return json.dumps([list(r) for r in rows], ensure_ascii=False, default=int)  # PostgreSQL sums are Decimals

    def raw_sql(on):
        return {r[0]: r[1] for r in on.execute(raw_query, params) if r[1]}

    with app.app_context():
        # The same per-village collective income by one query over the summary table, and over the ledger.
        by_village = {a.id: a.code for a in db.session.scalars(select(Area).where(Area.level == "village"))}
        county = db.session.scalars(select(Area).where(Area.code == COUNTY_CODE)).one()
        floor_params = {"year": year, "last": year - 1, "prefix": county.path + "%"}
        agg = "string_agg" if db.engine.dialect.name == "postgresql" else "group_concat"
        floor_query = text(FLOOR_SQL.format(agg=agg))
        floor_rows = json.loads(floor_sql(db.session))
        check_floor(floor_rows, api_rows)
        expected = {by_village[k]: int(v) for k, v in summary_sql().items()}
        got = got_income(api_rows)
        assert got == expected, "the API's collective income differs from the summary table's"
        assert {by_village[k]: int(v) for k, v in raw_sql(db.session).items()} == expected, "summary ≠ raw ledger"
        engine = db.engine
        db.session.remove()
    from coopapp.api.reports import COMPARE_CACHE

    def uncached_compare():
        COMPARE_CACHE.clear()
        get(api, compare_path, headers=bearer)

    # The API, its floor and the raw scan in turn (the scan, ~20× slower, every fifth round). The
    # floor and the scan run on a connection of their own, outside any app context, so that each
    # API request gets its own context, session and login as in production (inside an open app
    # context the test client would share it across requests).
    with engine.connect() as conn:
        runs = interleaved(
            {"compare": uncached_compare, "floor": lambda: floor_sql(conn), "raw": lambda: raw_sql(conn)},
            repeat,
            {"raw": 5 if repeat >= 15 else 1},
        )
    compare, floor, raw = runs["compare"], runs["floor"], runs["raw"]
    results.append(stats("compare", compare, floor))
    results.append(stats("compare_raw_scan", raw, ratio=_median(raw) / _median(compare)))
    results.append(stats("compare_cached", timed(lambda: get(api, compare_path, headers=bearer), repeat), floor))

    summary_path = f"/api/v1/villages/{code}/summary?year={year}"
    results.append(stats("village_summary", timed(lambda: get(api, summary_path, headers=bearer), repeat)))
    results.append(stats("village_dashboard", timed(lambda: get(web, f"/villages/{code}?year={year}"), repeat)))
    # the county reviewer's home: every village's disclosure due, aggregated (issue 17)
    results.append(stats("home_reviewer", timed(lambda: get(reviewer_web, "/"), repeat)))

    with app.app_context():
        queued = min(SUBMITTED, 5 * repeat)
        waiting = _submit_entries(accountant_name, project_id, queued + repeat + 1)
    results.append(stats("review_queue", timed(lambda: get(web, "/review"), repeat)))

    results.extend(_charts(app, web, get, project_id, year, repeat))
    with app.app_context():
        results.append(_approve(secretary_name, waiting[queued:]))
    return results


def check_floor(floor_rows: list[list], api_rows: list[dict]) -> None:
    """The floor's figures are the API's: every figure it fetches, and each peer group's yield
    (output / capacity in thousandths, rounded half up to the fen) — so the floor is the same answer."""
    keys = (
        "collective_income_fen",
        "output_value_fen",
        "collective_income_last_year_fen",
        "output_value_last_year_fen",
        "households",
        "formerly_poor_households",
        "households_benefited",
        "benefit_total_fen",
        "benefit_median_fen",
        "formerly_poor_benefited",
        "formerly_poor_benefit_total_fen",
        "formerly_poor_benefit_median_fen",
        "households_benefited_last_year",
        "benefit_total_last_year_fen",
        "formerly_poor_benefited_last_year",
        "formerly_poor_benefit_total_last_year_fen",
        "collective_income_target_fen",
        "output_target_fen",
    )
    api = {r["code"]: r for r in api_rows}
    assert len(floor_rows) == len(api), "floor and API list different villages"
    for row in floor_rows:
        r = api[row[0]]
        got = tuple(int(x or 0) for x in row[3:21])
        want = tuple(r[k] for k in keys)
        assert got == want, (
            f"floor ≠ API for {row[0]}: {dict(zip(keys, got, strict=True))} {dict(zip(keys, want, strict=True))}"
        )
        yields = {}
        for part in (row[21] or "").split(";"):
            group, _eq, figures = part.partition("=")
            output, milli = (int(x) for x in figures.split("/"))
            fen = (Decimal(output) * 1000 / Decimal(milli)).to_integral_value(ROUND_HALF_UP) if milli else None
            yields[group.rstrip("/")] = None if fen is None else int(fen)
        assert yields == {y["peer_group"]: y["yield_fen_per_unit"] for y in r["yields"]}, f"yields differ for {row[0]}"
        party = tuple(int(x or 0) for x in row[22:30])
        assert party == tuple(r[k] for k in PARTY_KEYS), f"party figures differ for {row[0]}: {party}"
        statement = tuple(int(x or 0) for x in row[30:32])
        assert statement == (r["spending_fen"], r["net_income_fen"]), f"spending differs for {row[0]}: {statement}"


def _quoted(kinds: tuple[str, ...]) -> str:
    return ", ".join(f"'{k}'" for k in kinds)


PARTY_KEYS = (
    "groups",
    "party_groups_covered",
    "party_orgs_committee",
    "party_orgs_general_branch",
    "party_orgs_branch",
    "party_orgs_joint_branch",
    "party_branches",
    "coops_led",
)


def got_income(api_rows: list[dict]) -> dict[str, int]:
    return {r["code"]: int(r["collective_income_fen"]) for r in api_rows if r["collective_income_fen"]}


def _median(samples: list[float]) -> float:
    return sorted(samples)[len(samples) // 2]


def _submit_entries(accountant_name: str, project_id: int, count: int) -> list[int]:
    """Log and submit `count` entries in the current month as the village's accountant."""
    from coopapp.extensions import db
    from coopapp.ledger import operations as ledger
    from coopapp.models import User

    user = db.session.scalars(select(User).where(User.username == accountant_name)).one()
    ids = []
    for i in range(count):
        data = ledger.EntryInput(
            project_id=project_id, period=ledger.current_period(), kind="sales", amount_fen=10_000 + i
        )
        ids.append(ledger.submit_entry(user, ledger.create_entry(user, data)).id)
    db.session.remove()
    return ids


def _charts(app, web, get, project_id: int, year: int, repeat: int) -> list[dict]:
    """A chart drawn afresh (cache cleared) against drawing the same figure alone, and from the cache."""
    from coopapp import charts
    from coopapp.charts.cache import CACHE
    from coopapp.extensions import db
    from coopapp.models import Project
    from coopapp.reporting import chart_data

    path = f"/charts/project/{project_id}/output.png?year={year}"

    def uncached():
        CACHE.clear()
        get(web, path)

    with app.app_context():
        data = chart_data.project_output(db.session.get(Project, project_id), year)
        db.session.remove()
    runs = interleaved(
        {"fresh": uncached, "floor": lambda: charts.chart_bytes("output", data, "png")}, max(3, repeat // 3)
    )
    fresh, floor = runs["fresh"], runs["floor"]
    get(web, path)
    cached = timed(lambda: get(web, path), repeat)
    return [stats("chart_uncached", fresh, floor), stats("chart_cached", cached)]


def _approve(secretary_name: str, entry_ids: list[int]) -> dict:
    """The secretary approves one submitted entry (summaries and audit included), one at a time."""
    from coopapp.extensions import db
    from coopapp.ledger import operations as ledger
    from coopapp.models import LedgerEntry, User

    samples = []
    for entry_id in entry_ids:
        user = db.session.scalars(select(User).where(User.username == secretary_name)).one()
        entry = db.session.get(LedgerEntry, entry_id)
        start = time.perf_counter()
        ledger.approve_entry(user, entry)
        samples.append((time.perf_counter() - start) * 1000)
        db.session.remove()
    return stats("approve", samples)
