import click

from .city import SCALES, build


@click.command("demo-city")
@click.option("--scale", type=click.Choice(list(SCALES)), default="small", show_default=True,
              help="small：几秒钟，供试用和测试；seed：与试点规模相当（12.5 万栋楼、162 万人）")
@click.option("--seed", "random_seed", default=4206, show_default=True, help="随机种子（同一种子得到同一座城）")
def demo_city(scale, random_seed):
    """用襄阳真实区划生成一座演示城市，并为每种角色建一个演示用户"""
    build(scale, random_seed, echo=click.echo)
