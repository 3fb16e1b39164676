"""Receipt look-ups are limited per client: a person checking their receipt never meets the limit, a
script guessing tokens does, on the page and the JSON alike."""
from tests.client import Client
from tests.plates.test_plates import scan_png
from tests.reports.test_reports import form_post, receipt_of


def test_receipt_look_ups_are_limited_per_client_on_the_page_and_the_api_together(app, as_user, places):
    token = scan_png(as_user("admin"), places["grid"]["plate"])

    def client(ip: str) -> Client:
        flask_client = app.test_client()
        flask_client.environ_base["REMOTE_ADDR"] = ip
        return Client(flask_client)

    receipt = receipt_of(form_post(client("10.8.0.9"), token, "plate_problem", {"problem": "other"}))
    app.config.update(RATELIMIT_RECEIPT="3 per minute")
    try:
        guesser = client("10.8.0.1")
        answers = [guesser.get(f"/r/{receipt}").status_code, guesser.get("/r/" + "Q" * 16).status_code,
                   guesser.get(f"/api/v1/public/receipts/{receipt}").status_code]
        assert answers == [200, 404, 200]
        refused = guesser.get(f"/api/v1/public/receipts/{receipt}")
        assert refused.status_code == 429 and refused.json["code"] == "request.rate_limited"
        assert int(refused.headers["Retry-After"]) > 0
        assert guesser.get(f"/r/{receipt}", headers={"Accept": "text/html"}).status_code == 429
        assert client("10.8.0.2").get(f"/r/{receipt}").status_code == 200  # someone else is not held back
    finally:
        app.config.update(RATELIMIT_RECEIPT="1000 per minute")
