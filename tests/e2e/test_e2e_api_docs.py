"""The API documentation: Swagger UI served from our own origin, showing the API's title."""
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_api_docs_load_from_our_own_server(new_page, server):
    page = new_page()
    page.goto("/")
    expect(page.locator("#username")).to_be_visible()  # the app asks for sign-in; the docs do not
    page.wait_for_load_state("networkidle")  # leaving earlier would abort the sign-in page's own requests
    page.goto("/api/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Yibiao 一标三实 API")
    expect(page.locator(".swagger-ui .opblock-tag").first).to_be_visible()
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/areas").first).to_be_visible()
    assert any(u.endswith("/api/openapi.json") for u in page.requests.urls)
    assert any("/static/vendor/swagger-ui/" in u for u in page.requests.urls)
    assert page.requests.off_origin(server.url) == [], "Swagger UI fetched something from elsewhere"
    assert [f for f in page.requests.failed if not f.endswith("/favicon.ico")] == []


def test_the_header_links_to_the_docs(new_page, server):
    page = new_page("street")
    page.goto("/")
    page.get_by_role("navigation").get_by_role("link", name="API 文档").click()
    page.wait_for_url(server.url + "/api/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Yibiao 一标三实 API")
