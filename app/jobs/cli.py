import time

import click
from flask.cli import AppGroup
from sqlalchemy import select

from app.extensions import db

from .models import Job
from .queue import run_worker

jobs = AppGroup("jobs", help="后台任务")


@jobs.command("worker")
@click.option("--workers", default=1, show_default=True, help="并行执行的任务数")
def worker(workers):
    """运行任务队列的消费者（SQLite 默认或 REDIS_URL 指定的 Redis）"""
    run_worker(workers)


@jobs.command("list")
@click.option("--limit", default=20, show_default=True)
def list_jobs(limit):
    """最近的任务"""
    for job in db.session.scalars(select(Job).order_by(Job.created_at.desc()).limit(limit)):
        click.echo(f"{job.id}  {job.kind:<12} {job.status_label:<4} {job.done}/{job.total}  {job.message or ''}")


@jobs.command("show")
@click.argument("job_id")
@click.option("--follow/--no-follow", default=True, help="跟随进度直到完成")
def show(job_id, follow):
    """任务进度（带进度条）"""
    job = db.session.get(Job, job_id)
    if job is None:
        raise click.ClickException(f"没有任务 {job_id}")
    with click.progressbar(length=max(job.total, 1), label=job.kind, show_pos=True) as bar:
        while True:
            db.session.refresh(job)
            bar.length = max(job.total, 1)
            bar.update(job.done - bar.pos)
            if job.status in ("done", "failed") or not follow:
                break
            time.sleep(0.5)
    click.echo(f"{job.status_label} {job.done}/{job.total}{'：' + job.message if job.message else ''}"
               f"{'，结果：' + job.result_path if job.result_path else ''}")
