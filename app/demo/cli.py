import click
from flask.cli import with_appcontext

from .city import SCALES, build


@click.command("demo-city")
@click.option("--scale", type=click.Choice(list(SCALES)), default="small", show_default=True,
              help="small：几秒钟，供试用和测试；seed：与试点规模相当（12.5 万栋楼、162 万人）")
@click.option("--seed", "random_seed", default=4206, show_default=True, help="随机种子（同一种子得到同一座城）")
@with_appcontext
@click.option("--if-empty", is_flag=True, help="数据库里已有数据时什么也不做（供一键启动脚本使用）")
def demo_city(scale, random_seed, if_empty):
    """用襄阳真实区划生成一座演示城市，并为每种角色建一个演示用户"""
    if build(scale, random_seed, echo=click.echo, if_empty=if_empty) is None:
        click.echo("数据库里已有数据，未重新生成演示城市。")
