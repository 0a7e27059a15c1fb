"""The benchmark at three sizes, to show how the cost grows (docs/scaling.md).

    python -m bench.curve            # `make bench-curve`: 200k, 700k and 2M entries
    python -m bench.curve --tiny     # a smoke run at three tiny sizes (~40 s)

Each size is one `bench.run` in a process of its own, as one `make bench` is (a process that
has already measured other sizes carries their objects, which slowed the last size's comparison
by up to a third); its database is cached in bench/.cache/. Prints one table of median
milliseconds per measurement and size and writes bench/curve.json.
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

from bench.run import write_json

ROOT = Path(__file__).resolve().parent.parent
# (villages, households, entries): a tenth of the county, a third of it, the whole county.
SIZES = ((30, 6_000, 200_000), (100, 20_000, 700_000), (300, 60_000, 2_000_000))
TINY = ((2, 20, 300), (3, 30, 600), (4, 40, 900))


def main(argv: list[str] | None = None) -> dict:
    """Run the bench at each size; return (and write) {"sizes": [...], "results": {name: [ms, ...]}}."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--out", default=str(ROOT / "bench" / "curve.json"))
    args = parser.parse_args(argv)
    sizes = TINY if args.tiny else SIZES
    curve: dict = {"sizes": [], "results": {}}
    for villages, households, entries in sizes:
        out = Path(args.out).with_name(f"curve-{entries}.json")
        flags = ["--villages", str(villages), "--households", str(households), "--entries", str(entries)]
        cmd = [sys.executable, "-m", "bench.run", *flags, "--repeat", str(args.repeat), "--out", str(out)]
        if args.tiny:  # a smoke run: a fresh database, and the load and import runs kept short
            cmd += ["--no-cache", "--load-seconds", "1", "--load-requests", "50", "--import-rows", "100"]
        subprocess.run(cmd, cwd=ROOT, check=True)  # -m from the checkout: `bench` and `coopapp` import
        report = json.loads(out.read_text(encoding="utf-8"))
        curve["sizes"].append({"villages": villages, "households": households, "entries": entries})
        for r in report["results"]:
            curve["results"].setdefault(r["name"], []).append(r["median_ms"])
    print("\nmedian ms by size (villages / entries)")
    heads = [f"{s['villages']}/{s['entries']:,}" for s in curve["sizes"]]
    print(f"{'name':<18}" + "".join(f"{h:>18}" for h in heads))
    for name, values in curve["results"].items():
        print(f"{name:<18}" + "".join(f"{v:>18.2f}" for v in values))
    write_json(args.out, curve)
    return curve


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
