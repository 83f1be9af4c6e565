"""``python -m report``: the recruiting report of a warehouse, as one HTML file.

One or more DuckDB files (``make demo`` writes every provider into ``output/demo.duckdb``), or a
PostgreSQL URL; the marts are read from ``--schema`` (default ``analytics``, where Meltano's dbt
utilities build them).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from report.data import Provider, duckdb_query, load, postgres_query
from report.html import render


def write(providers: list[Provider], output: Path) -> Path:
    """Render the page to ``output`` (its folder made as needed)."""
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render(providers), encoding="utf-8")
    return output


def main(argv: list[str] | None = None) -> int:
    """Read the marts, write the page; 2 (with a message) when there is nothing to read."""
    parser = argparse.ArgumentParser(prog="python -m report", description=__doc__)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--duckdb", type=Path, nargs="+", metavar="FILE",
                        help="DuckDB file(s) the models were built in")
    source.add_argument("--postgres", metavar="URL",
                        help="postgresql://user[:password]@host[:port]/dbname")
    parser.add_argument("--schema", default="analytics", help="the schema of the marts")
    parser.add_argument("--output", type=Path, default=Path("output/report.html"))
    args = parser.parse_args(argv)
    if args.postgres:
        providers = load(postgres_query(args.postgres), args.schema)
    else:
        missing = [str(p) for p in args.duckdb if not p.is_file()]
        if missing:
            parser.error(f"no such DuckDB file: {', '.join(missing)}")
        providers = [p for path in args.duckdb for p in load(duckdb_query(path), args.schema)]
    if not providers:
        parser.error(f"no applications in the marts of schema {args.schema!r}")
    print(f"Report: {write(providers, args.output)} ({', '.join(p.name for p in providers)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
