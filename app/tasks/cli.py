import click
from flask.cli import AppGroup

from . import services

tasks = AppGroup("tasks", help="核验任务")


@tasks.command("sweep")
def sweep():
    """提醒即将到期的任务，把逾期任务上报街道（任务队列每 10 分钟自动执行一次）"""
    counts = services.sweep()
    click.echo(f"提醒 {counts['remind']} 个，上报逾期 {counts['escalate']} 个")
