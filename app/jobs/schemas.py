from flask import url_for
from marshmallow import Schema, fields

from app.api import UtcDateTime


class JobSchema(Schema):
    id = fields.String()
    kind = fields.String()
    status = fields.String(metadata={"enum": ["queued", "running", "done", "failed"]})
    status_label = fields.String()
    done = fields.Integer()
    total = fields.Integer()
    percent = fields.Integer()
    message = fields.String(allow_none=True)
    created_at = UtcDateTime()
    finished_at = UtcDateTime(allow_none=True)
    download = fields.Function(lambda j: url_for("jobs.download", job_id=j.id) if j.status == "done" and j.result_path else None)
