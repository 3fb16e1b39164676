"""Job progress and results, for the UI's progress bars and for API clients."""
from flask import send_file
from flask_smorest import Blueprint

from app.accounts.auth import actor
from app.api import problems
from app.errors import Problem

from .schemas import JobSchema
from .services import own_job

blp = Blueprint("jobs", __name__, url_prefix="/api/v1/jobs", description="后台任务：进度与结果")


@blp.get("/<job_id>")
@blp.response(200, JobSchema)
@problems(blp, "resource.not_found")
def get_job(job_id):
    """任务状态与进度（已完成/总数）"""
    return own_job(actor(), job_id)


@blp.get("/<job_id>/download")
@blp.response(200, description="任务结果文件")
@problems(blp, "resource.not_found", "state.not_allowed")
def download(job_id):
    """下载任务结果"""
    job = own_job(actor(), job_id)
    if job.status != "done":
        raise Problem("state.not_allowed", f"任务{job.status_label}，尚无结果可下载")
    if not job.result_path:
        raise Problem("resource.not_found", "这个任务没有结果文件（结果见任务说明）")
    return send_file(job.result_path, as_attachment=True, download_name=job.result_name)
