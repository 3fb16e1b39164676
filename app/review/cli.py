import click
from flask.cli import with_appcontext


@click.group("review")
def review():
    """审核流程"""


@review.command("defaults")
@with_appcontext
def defaults():
    """为尚无审核流程的类型和开发区写入试点的默认流程（先导入区划）"""
    from .chains import install_defaults

    click.echo(f"写入 {install_defaults()} 条审核流程")
