"""Registers each domain's flask commands."""
from flask import Flask


def register(app: Flask) -> None:
    from app.accounts.cli import users
    from app.demo.cli import demo_city
    from app.jobs.cli import jobs

    for command in (users, jobs, demo_city):
        app.cli.add_command(command)
