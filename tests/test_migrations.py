"""The Alembic history and the models describe the same schema (the tests' database was built by
the migrations, so a model change without its migration shows up here)."""


def test_models_and_migrations_agree(app):
    # `flask db check` exits non-zero when autogenerate finds any difference.
    result = app.test_cli_runner().invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output
