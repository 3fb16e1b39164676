"""Registers each domain's flask commands."""
from flask import Flask


def register(app: Flask) -> None:
    from app.accounts.cli import users
    from app.demo.cli import demo_city
    from app.jobs.cli import jobs
    from app.keys import personal_data
    from app.plates.cli import plates
    from app.review.cli import review
    from app.tasks.cli import tasks

    for command in (users, jobs, demo_city, plates, review, tasks, personal_data):
        app.cli.add_command(command)
