"""Compare an 18,000-row department register against the seed-scale city (issue 9), timed, with the
precision and recall of "suspicious" per planted problem type.

    .venv/bin/python bench/seed_load.py --instance /tmp/yb-seed          # once, about 4 minutes
    .venv/bin/python bench/compare.py --instance /tmp/yb-seed [--rows 18000] [--seed 9] [--keep]
    .venv/bin/python bench/compare.py --instance /tmp/yb-seed --database-url postgresql://…/yb_seed_pg

The register is made by bench/register_gen.py from the instance's database (planted problems, with
the truth kept aside), then goes through the same code a department's upload does, in this process:
`app.compare.services.upload` (read, map and check the file, store every row) and the comparison
job (`app.jobs.services.execute`: load the city into memory, classify each row, write the verdicts,
open a verification task per suspicious row). Prints the time of each, rows per second, the peak
memory, and the table of `register_gen.report`. The target of issue 9: the comparison under 60 s on
2 cores; at least 95 % precision and recall for "suspicious", per planted type.

Without --keep the register, its rows and its tasks are deleted afterwards, so runs can be repeated
on one database (audit rows stay).
"""
from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchutil import git_state, machine_busy  # noqa: E402

TARGET_S = 60


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instance", default="/tmp/yb-seed", help="instance folder of the seed city (YIBIAO_INSTANCE)")
    parser.add_argument("--rows", type=int, default=18000)
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--keep", action="store_true", help="keep the register, its rows and tasks")
    parser.add_argument("--database-url", help="compare against this database instead (the same seed city, "
                        "e.g. loaded into PostgreSQL with `flask demo-city --scale seed`); the register is "
                        "still generated from the instance's SQLite file")
    args = parser.parse_args(argv)

    os.environ["YIBIAO_INSTANCE"] = args.instance
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ["JOBS_IN_PROCESS"] = "0"  # the job runs here, timed, not in a consumer thread
    # Imported only now: they import the app's config, which reads the environment once.
    from register_gen import generate, report, write_xlsx
    from sqlalchemy import delete, select

    from app import create_app
    from app.accounts.models import User
    from app.compare import services
    from app.compare.models import Register, RegisterRow
    from app.extensions import db
    from app.jobs.services import execute
    from app.tasks.models import Task

    print(f"{git_state()} · {platform.node()} · {os.cpu_count()} cores · Python {platform.python_version()}")
    started = time.perf_counter()
    rows, truth = generate(str(Path(args.instance) / "yibiao.db"), args.rows, args.seed)
    path = ROOT / "bench" / "out" / f"register-{args.rows}.xlsx"
    path.parent.mkdir(exist_ok=True)
    write_xlsx(rows, path)
    print(f"register: {len(rows):,} rows generated and written in {time.perf_counter() - started:.1f} s ({path})")

    app = create_app()
    print(f"database: {app.config['SQLALCHEMY_DATABASE_URI']}")
    with app.app_context():
        actor = db.session.scalar(select(User).where(User.username == "admin"))
        busy, t0 = machine_busy(), time.perf_counter()
        register = services.upload(actor, path.read_bytes(), path.name, "道路运输企业（基准）", "基准测试")
        t1 = time.perf_counter()
        register_id, job_id = register.id, register.job_id
        db.session.remove()
        execute(job_id)
        t2 = time.perf_counter()
        busy = machine_busy() - busy
        reg = db.session.get(Register, register_id)
        found = db.session.execute(select(RegisterRow.row_number, RegisterRow.klass, RegisterRow.reasons)
                                   .where(RegisterRow.register_id == register_id)).all()
        tasks = db.session.scalar(select(db.func.count(db.distinct(RegisterRow.task_id)))
                                  .where(RegisterRow.register_id == register_id))
        print(f"\nupload (read, check, store {reg.rows_total:,} rows): {t1 - t0:6.1f} s")
        print(f"comparison job (load city, classify, write, {tasks:,} tasks): {t2 - t1:6.1f} s   "
              f"{reg.rows_total / (t2 - t1):,.0f} rows/s   {reg.job.message}")
        total = t2 - t0
        print(f"upload + comparison: {total:.1f} s, target < {TARGET_S} s: {'✓' if total < TARGET_S else '✗'}   "
              f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB   "
              f"CPU of all processes {busy:.1f} s")
        print()
        report(truth, {number - 2: (klass, reasons or []) for number, klass, reasons in found})
        if not args.keep:
            task_ids = set(db.session.scalars(select(RegisterRow.task_id).where(RegisterRow.register_id == register_id)))
            db.session.execute(delete(RegisterRow).where(RegisterRow.register_id == register_id))
            db.session.execute(delete(Task).where(Task.id.in_(task_ids - {None})))
            db.session.execute(delete(Register).where(Register.id == register_id))
            db.session.commit()


if __name__ == "__main__":
    main()
