"""The public report forms under a plate's page, and the receipt page. No login; rate-limited per
client and per plate; a honeypot field catches form-filling scripts."""
from __future__ import annotations

import uuid

from flask import Blueprint, current_app, redirect, render_template, request, url_for

from app.accounts.auth import public_write
from app.errors import Problem
from app.extensions import limiter
from app.places.addresses import address_text

from . import review  # noqa: F401  (registers the reports' kinds with the review chain)
from . import services
from .models import RECEIPT_STATES

bp = Blueprint("reports", __name__, template_folder="templates")

FORMS = {"residence": "我住这里", "org_change": "单位信息变更", "plate_problem": "门牌问题"}
HONEYPOT = "homepage"  # hidden from people; scripts fill in every field
client_limit = limiter.shared_limit(lambda: current_app.config["RATELIMIT_REPORT_CLIENT"], scope="report-client",
                                    methods=["POST"])
plate_limit = limiter.shared_limit(lambda: current_app.config["RATELIMIT_REPORT_PLATE"], scope="report-plate",
                                   key_func=lambda: "plate:" + request.view_args["token"][:32], methods=["POST"])
# The receipt page and its JSON count together: whoever guesses tokens gets no second allowance.
receipt_limit = limiter.shared_limit(lambda: current_app.config["RATELIMIT_RECEIPT"], scope="receipt")


@bp.route("/p/<token>/report/<kind>", methods=["GET", "POST"])
@public_write
@client_limit
@plate_limit
def report(token, kind):
    if request.method == "POST" and request.form.get(HONEYPOT):
        return redirect(url_for("reports.receipt", receipt_token=services.decoy().receipt_token, new=1), 303)
    try:
        if kind not in FORMS:
            raise Problem("plate.unknown")
        node = services.place(token)
    except Problem:
        return render_template("plates/unknown.html"), 404
    problem = None
    if request.method == "POST":
        try:
            filed = services.file(token, kind, request.form, request.files.get("photo"))
            return redirect(url_for("reports.receipt", receipt_token=filed.receipt_token, new=1), 303)
        except Problem as e:
            if e.code == "plate.unknown":
                return render_template("plates/unknown.html"), 404
            problem = e
    # Each form shown gets an id of its own: sent twice (a double tap), it is one report; shown again
    # (after a problem) and sent, it is a new one.
    return render_template(f"reports/{kind}.html", token=token, node=node, node_text=address_text(node), title=FORMS[kind],
                           opts=services.options(node, kind), form=request.form, problem=problem,
                           errors=problem.errors if problem else {}, labels=services.LABELS, honeypot=HONEYPOT,
                           reasons=services.REASONS, changes=services.CHANGES, plate_problems=services.PLATE_PROBLEMS,
                           house_text=services.house_text, client_id=uuid.uuid4()), problem.status if problem else 200


@bp.get("/r/<receipt_token>")
@receipt_limit
def receipt(receipt_token):
    try:
        found = services.receipt(receipt_token)
    except Problem:
        return render_template("reports/receipt_unknown.html"), 404
    return render_template("reports/receipt.html", r=found, kinds=FORMS, states=RECEIPT_STATES,
                           new=bool(request.args.get("new")))
