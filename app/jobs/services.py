"""Enqueue long jobs and report their progress.

A job kind is a function `run(job, progress) -> (path, download_name[, report])` registered with
`@job_kind`; the optional report is a message for the user (e.g. what could not be done).
It calls `progress(done, total)` as it goes; the UI and `flask jobs show` read done/total back.
"""
from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Callable

from flask import Flask, current_app
from sqlalchemy import update

from app.audit.services import record
from app.errors import Problem
from app.extensions import db
from app.lifecycle import utcnow

from .models import Job
from .queue import huey, start_in_process_consumer

log = logging.getLogger(__name__)
Runner = Callable[[Job, "Progress"], tuple]
_RUNNERS: dict[str, Runner] = {}
TITLES: dict[str, str] = {}
_app: Flask | None = None


def job_kind(kind: str, title: str):
    """Register a job kind; `title` names it on its progress page."""
    def register(fn: Runner) -> Runner:
        _RUNNERS[kind], TITLES[kind] = fn, title
        return fn
    return register


def bind_app(app: Flask) -> None:
    """Jobs run inside this app (the web process's, or the worker's)."""
    global _app
    _app = app


def enqueue(actor, kind: str, params: dict) -> Job:
    if kind not in _RUNNERS:
        raise KeyError(kind)
    job = Job(kind=kind, params=params, created_by_id=actor.id if actor else None)
    db.session.add(job)
    db.session.flush()
    record(actor, "job.enqueue", job, after={"kind": kind, "params": params})
    db.session.commit()
    background(run_job, job.id)
    return job


def background(task, *args) -> None:
    """Queue a huey task, and make sure something runs it (this process, when JOBS_IN_PROCESS)."""
    if current_app.config["JOBS_IN_PROCESS"]:
        start_in_process_consumer()
    task(*args)


def result_file(job: Job, suffix: str) -> Path:
    """Where a job writes its result: EXPORT_DIR/<job id><suffix>, the folder made if missing."""
    folder = Path(current_app.config["EXPORT_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{job.id}{suffix}"


def own_job(actor, job_id: str) -> Job:
    """A job the actor started; 404 for anyone else's."""
    job = db.session.get(Job, job_id)
    if job is None or job.created_by_id != actor.id:
        raise Problem("resource.not_found")
    return job


class Progress:
    """Writes done/total to the job row, at most a few times a second (a new total at once).

    The write goes through its own short transaction and leaves the job's ORM object alone:
    committing (or autoflushing) the job's session would end the transaction the job reads in, close
    PostgreSQL's server-side cursors under it, or, on SQLite, hold the write lock the write needs.
    """

    def __init__(self, job_id: str, every_s: float = 0.3):
        self.job_id, self.every_s, self._last = job_id, every_s, 0.0
        self.done = self.total = 0

    def __call__(self, done: int, total: int | None = None) -> None:
        self.done = done
        # A new total (a job's next phase, a better estimate) is written at once, however soon.
        changed = total is not None and total != self.total
        if total is not None:
            self.total = total
        now = time.monotonic()
        if changed or now - self._last >= self.every_s:
            self._last = now
            with db.engine.begin() as conn:
                conn.execute(update(Job).where(Job.id == self.job_id).values(done=self.done, total=self.total))


def execute(job_id: str) -> None:
    # Claimed in one statement: two workers handed the same job (a redelivery, a second consumer)
    # must not both run it, and two runs would write the same result file at once.
    claimed = db.session.execute(update(Job).where(Job.id == job_id, Job.status == "queued")
                                 .values(status="running")).rowcount
    db.session.commit()
    if not claimed:
        return
    job = db.session.get(Job, job_id)
    progress = Progress(job.id)
    try:
        path, name, *report = _RUNNERS[job.kind](job, progress)
    except Exception as e:  # the job fails, the worker goes on
        log.exception("job %s (%s) failed", job.id, job.kind)
        db.session.rollback()
        job = db.session.get(Job, job_id)
        # Users read this: a Problem says what to do; anything else is logged, not shown.
        job.status = "failed"
        job.message = e.detail if isinstance(e, Problem) else "任务出错，错误已记录，请稍后重试或联系管理员"
    else:
        db.session.commit()  # end the transaction the job read in (on SQLite its snapshot is now stale)
        job.status, job.result_path, job.result_name = "done", path, name
        job.message = report[0] if report else None
        job.done = job.total = max(progress.total, progress.done)
    job.finished_at = utcnow()
    db.session.commit()


def in_app(fn, *args) -> None:
    """Run `fn(*args)` from a huey task: inside the app it was enqueued from (immediate mode, in
    tests), or inside this worker's app with a session of its own."""
    if huey.immediate:
        return fn(*args)
    app = _app
    if app is None:
        from app import create_app
        app = create_app()
        bind_app(app)
    with app.app_context():
        try:
            fn(*args)
        finally:
            db.session.remove()


@huey.task()
def run_job(job_id: str) -> None:
    in_app(execute, job_id)
