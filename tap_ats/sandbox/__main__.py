"""Run the sandbox: ``python -m tap_ats.sandbox --port 8787 --seed 42 --scale small``."""

from __future__ import annotations

import argparse
import errno
import sys

from tap_ats.sandbox.server import SCALES, Sandbox, serve


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, build the world lazily and serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m tap_ats.sandbox", description=__doc__)
    parser.add_argument("--port", type=int, default=8787, help="port on 127.0.0.1 (0: any free)")
    parser.add_argument("--seed", type=int, default=42, help="seed of the hiring world")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--scale", choices=SCALES, default="small",
                      help="applications per provider: " + ", ".join(
                          f"{k}={v:,}" for k, v in SCALES.items()))
    size.add_argument("--applications", type=int, help="exact applications per provider")
    parser.add_argument("--rate-limits", action="store_true",
                        help="enforce each provider's documented rate limit")
    parser.add_argument("--time-scale", type=float, default=1.0,
                        help="multiply every rate-limit window by this (0.01: 60/min becomes "
                             "60 per 0.6 s)")
    parser.add_argument("--accounts", type=int,
                        help="Kombo integrations and Merge linked accounts to serve, the "
                             "applications spread over them (default: two named ones each)")
    args = parser.parse_args(argv)
    if args.accounts is not None and args.accounts < 1:
        parser.error("--accounts must be at least 1")
    sandbox = Sandbox(args.seed, args.applications or SCALES[args.scale],
                      rate_limits=args.rate_limits, time_scale=args.time_scale,
                      accounts=args.accounts)
    try:
        server = serve(sandbox, args.port)
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        parser.exit(2, f"tap-ats: error: sandbox port {args.port} on 127.0.0.1 is already in "
                       f"use (another sandbox?); stop that process or pass --port 0 for a free "
                       f"port\n")
    print(f"tap-ats sandbox listening on {server.base_url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
