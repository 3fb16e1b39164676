"""A job's page: a progress bar that follows it, and the download when it is done."""
from flask import Blueprint, render_template, url_for
from flask_login import login_required

from app.accounts.auth import actor

from .services import TITLES, own_job

bp = Blueprint("jobs_pages", __name__, template_folder="templates")

@bp.get("/jobs/<job_id>")
@login_required
def job(job_id):
    job = own_job(actor(), job_id)
    return render_template("jobs/job.html", job=job, title=TITLES.get(job.kind, job.kind),
                           job_url=url_for("jobs.get_job", job_id=job.id))
