"""How long a refused login takes: a wrong password for an account against a name nobody
has, in one run. They should take the same time (issue 14: 16 ms against 2.5 ms).

    python bench/bench_auth_refusals.py [--rounds N] [--database URL]

Calls ``check_credentials`` in an app context (no HTTP), the two kinds taking turns, with
fast argon2 parameters (the hash is the same for both; what differed was the database
work). ``--database`` takes a SQLAlchemy URL (a PostgreSQL one shows the commit's cost);
the default is a SQLite file. It creates auth's tables there: give it a scratch
database, never one in use. Reports the median and the fastest time of each, and never
fails: the test suite compares the work itself (tests/test_auth_service.py).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from flask_plugboard.db import upgrade_database
from flask_plugboard.plugins.auth import Auth, check_credentials, find_user, register_user
from flask_plugboard.testing import build_app

#: A throwaway account's password, in a scratch database.
PASSWORD = "a quiet tram to Lisbon"  # noqa: S105


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--database", default=None)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    app = build_app(
        [Auth],
        {
            "SQLALCHEMY_DATABASE_URI": args.database or f"sqlite:///{folder / 'bench.sqlite'}",
            "AUTH_ARGON2_TIME_COST": 1,
            "AUTH_ARGON2_MEMORY_COST": 1024,
            "AUTH_ARGON2_PARALLELISM": 1,
            "AUTH_LOCKOUT_ATTEMPTS": 0,  # never locked: every round checks the password
        },
        instance_path=str(folder),
    )
    upgrade_database(app)
    times: dict[str, list[float]] = {"wrong password": [], "unknown name": []}
    with app.app_context():
        if find_user("bench-user") is None:
            register_user("bench-user", PASSWORD)
        for n in range(args.rounds):
            order = list(times) if n % 2 else list(reversed(times))
            for kind in order:
                name = "bench-user" if kind == "wrong password" else "bench-nobody"
                start = time.perf_counter()
                check_credentials(name, "not the password at all")
                times[kind].append(time.perf_counter() - start)
    for kind, values in times.items():
        print(
            f"{kind:15} median {statistics.median(values) * 1000:7.2f} ms"
            f"   min {min(values) * 1000:7.2f} ms"
        )


if __name__ == "__main__":
    main()
