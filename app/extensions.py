"""Extensions, created once here and bound to the app in create_app()."""
from http import HTTPStatus

from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from app import ratelimit  # noqa: F401  (registers the sqlite:// storage of the limits)
from app.errors import PROBLEM_MEDIA_TYPE, ProblemSchema

# Constraint names fixed so that Alembic migrations name the same things on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class ProblemApi(Api):
    """flask-smorest's Api, documenting the error responses it adds to every operation (a default,
    and 422 where arguments are parsed) as what app/errors.py sends: problem+json."""

    def _register_responses(self):
        for status in (*HTTPStatus, None):
            response = {"description": status.phrase if status else "错误（problem+json，见 /api/problems）",
                        "content": {PROBLEM_MEDIA_TYPE: {"schema": ProblemSchema}}}
            self.spec.components.response(status.name if status else self.DEFAULT_ERROR_RESPONSE_NAME, response,
                                          lazy=True)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
api = ProblemApi()
login = LoginManager()
csrf = CSRFProtect()
compress = Compress()
limiter = Limiter(key_func=get_remote_address)
