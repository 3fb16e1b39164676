import click
from flask.cli import AppGroup

from app.errors import Problem

from . import services
from .roles import ROLES

users = AppGroup("users", help="管理用户")


@users.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(list(ROLES)), required=True, help="角色")
@click.option("--area", "areas", multiple=True, help="辖区的区划代码（可多次给出）")
@click.option("--object", "objects", multiple=True, help="权属单位的楼栋/门牌对象编码（可多次给出）")
@click.option("--name", "display_name", help="姓名")
@click.password_option(help="密码（至少 8 位）")
def create(username, role, areas, objects, display_name, password):
    """新建用户，例如：flask users create zhang --role police --area 420606001"""
    try:
        user = services.create_user(None, {"username": username, "role": role, "password": password,
                                           "display_name": display_name, "area_codes": list(areas),
                                           "object_codes": list(objects)})
    except Problem as e:
        raise click.ClickException(f"{e.title}：{e.detail}") from None
    click.echo(f"已创建 {user.username}（{user.role_label}）")


@users.command("password")
@click.argument("username")
@click.password_option(help="新密码（至少 8 位）")
def set_password(username, password):
    """重设用户的密码（该用户的所有登录会话随即失效），例如：flask users password zhang"""
    try:
        user = services.reset_password(username, password)
    except Problem as e:
        raise click.ClickException(f"{e.title}：{e.detail}") from None
    click.echo(f"已重设 {user.username} 的密码；其所有登录会话已失效")
