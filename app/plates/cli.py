"""flask plates render: print an area's plates into a vector PDF, with a progress bar."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from app.accounts.models import User
from app.errors import Problem
from app.extensions import db

from . import services
from .models import PLATE_LABELS

plates = AppGroup("plates", help="二维码门牌")


@plates.command("render")
@click.option("--area", "area_code", help="区域编码：打印其中全部在用地址的门牌")
@click.option("--code", "codes", multiple=True, help="或：对象编码（可多次给出）")
@click.option("--kind", "kinds", multiple=True, type=click.Choice(list(PLATE_LABELS)), default=["door"],
              show_default=True, help="门牌种类，可多次给出：door 门牌、building 楼牌、unit 单元牌、room 户牌")
@click.option("--layout", type=click.Choice(list(services.LAYOUTS)), default="plate", show_default=True,
              help="plate 每块一页；A4/A3 拼版带裁切线")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="输出的 PDF 文件")
@click.option("--user", "username", help="以此用户身份打印（其辖区为限；默认第一个系统管理员）")
def render(area_code, codes, kinds, layout, out, username):
    """把门牌生成为可直接制牌的矢量 PDF"""
    if bool(area_code) == bool(codes):
        raise click.UsageError("请给出 --area 或 --code 中的一个")
    stmt = select(User).where(User.active, User.role == "admin")
    user = db.session.scalar(stmt.where(User.username == username) if username else stmt.order_by(User.id))
    if user is None:
        raise click.UsageError(f"没有可用的系统管理员账号 {username or ''}".strip())
    try:
        targets = services.print_targets(user, area_code, list(codes), list(kinds))
    except Problem as e:
        raise click.ClickException(e.detail) from None
    if not targets:
        raise click.ClickException("所选范围内没有在用的地址")
    with click.progressbar(length=len(targets), label=f"生成 {len(targets):,} 块", show_pos=True) as bar:
        def progress(done: int, total: int | None = None) -> None:
            bar.update(done - bar.pos)
        report = services.render_batch(user, targets, layout, out, progress)
    click.echo(f"{out}：{out.stat().st_size / 1024:,.0f} KB")
    click.echo(services.report_message(report))
    if report["refused"]:
        raise SystemExit(1)
