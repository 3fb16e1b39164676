"""Background jobs through the real queue: SQLite-backed by default, Redis when REDIS_URL is set
(CI runs this file both ways)."""
import time

from app.jobs.queue import huey, start_in_process_consumer


def wait_until_finished(client, job_id, timeout=60):
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        job = client.get(f"/api/v1/jobs/{job_id}").json
        seen.append((job["status"], job["done"], job["total"]))
        if job["status"] in ("done", "failed"):
            return job, seen
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish: {seen[-3:]}")


def run_job(app, client, job_id: str) -> dict:
    """Run a queued job here, as a worker would, and return it as `client` sees it once finished. A
    consumer that an earlier test started may have taken it first: then that one finishes it."""
    from app.extensions import db
    from app.jobs.services import execute

    with app.app_context():
        execute(job_id)
        db.session.remove()
    return wait_until_finished(client, job_id)[0]


def test_an_export_job_runs_on_the_queue_and_reports_progress(app, as_user, places):
    start_in_process_consumer()
    client = as_user("city")
    started = client.post("/api/v1/areas/420606/exports", json={})
    assert started.status_code == 202
    job, seen = wait_until_finished(client, started.json["id"])
    assert job["status"] == "done", job
    assert job["done"] == job["total"] > 0
    done_counts = [d for _, d, _ in seen]
    assert done_counts == sorted(done_counts)  # progress only moves forward
    assert client.get(job["download"]).status_code == 200


def test_the_queue_is_the_configured_backend(app):
    import os

    expected = "RedisHuey" if os.environ.get("REDIS_URL") else "SqliteHuey"
    assert type(huey).__name__ == expected


def test_a_failing_job_is_marked_failed_with_its_message(app, as_user, monkeypatch):
    from app.jobs import services

    def explode(job, progress):
        progress(1, 4)
        raise OSError("/srv/exports: No space left on device")

    monkeypatch.setitem(services._RUNNERS, "export_xlsx", explode)
    start_in_process_consumer()
    client = as_user("city")
    started = client.post("/api/v1/areas/420606/exports", json={})
    job, _ = wait_until_finished(client, started.json["id"])
    assert job["status"] == "failed" and "错误已记录" in job["message"]
    assert "/srv" not in job["message"]  # internals go to the log, not to the user
    assert client.get(f"/api/v1/jobs/{job['id']}/download").status_code == 409


def test_jobs_show_command_draws_a_progress_bar(app, as_user):
    start_in_process_consumer()
    client = as_user("city")
    job, _ = wait_until_finished(client, client.post("/api/v1/areas/420602/exports", json={}).json["id"])
    result = app.test_cli_runner().invoke(args=["jobs", "show", job["id"]])
    assert result.exit_code == 0
    assert f"{job['total']}/{job['total']}" in result.output and "已完成" in result.output
    listing = app.test_cli_runner().invoke(args=["jobs", "list"])
    assert job["id"] in listing.output


def test_a_job_handed_to_two_workers_at_once_runs_once(app, monkeypatch):
    """Two workers start the same job at the same moment (a second consumer, a redelivery): one runs
    it. The race is a matter of timing, so it is tried on several jobs."""
    import threading

    from app.extensions import db
    from app.jobs import services
    from app.jobs.models import Job

    runs = []

    def slow(job, progress):
        runs.append(job.id)
        time.sleep(0.1)
        return "/dev/null", "x.txt"

    monkeypatch.setitem(services._RUNNERS, "export_xlsx", slow)
    with app.app_context():
        jobs = [Job(kind="export_xlsx", params={}) for _ in range(6)]
        db.session.add_all(jobs)
        db.session.commit()
        job_ids = [j.id for j in jobs]

    def worker(job_id, both):
        with app.app_context():
            db.session.execute(db.select(Job.id).limit(1))  # connected, so that both start together
            both.wait()
            services.execute(job_id)
            db.session.remove()

    for job_id in job_ids:
        both = threading.Barrier(2)
        threads = [threading.Thread(target=worker, args=(job_id, both)) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert runs == job_ids
    with app.app_context():
        assert {db.session.get(Job, j).status for j in job_ids} == {"done"}
