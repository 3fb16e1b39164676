"""The reviewers' web queue (server-rendered, zh-CN)."""
from flask import Blueprint

bp = Blueprint("review", __name__, template_folder="templates")
