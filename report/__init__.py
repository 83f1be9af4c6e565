"""An HTML report of the recruiting marts: ``python -m report --duckdb FILE``.

Beside the tap, not part of it (never installed with it, nor imported by it): it reads the marts
that the dbt package in transform/ built, from DuckDB (the dev dependency) or PostgreSQL
(psycopg, which the dev environment has through Meltano), and writes one self-contained page.
"""
