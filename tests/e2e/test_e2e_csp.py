"""Every kind of page works under its Content-Security-Policy: the browser blocks nothing on any of
them (no inline script or style left, nothing loaded from elsewhere), the field app compiles its QR
reader's WebAssembly, and no page can be framed."""
import pytest
from playwright.sync_api import expect

from tests.plates.test_plates import scan_png

pytestmark = pytest.mark.e2e

# Reported by the page itself: the console does not show every kind of violation.
RECORD = """document.addEventListener('securitypolicyviolation',
  (e) => (window.__violations = window.__violations || []).push(`${e.violatedDirective} ${e.blockedURI}`));"""


def _violations(page) -> list[str]:
    return page.evaluate("window.__violations || []") + page.console_violations


def _watched(new_page, user=None, **options):
    page = new_page(user, **options)
    page.add_init_script(RECORD)
    page.console_violations = []
    page.on("console", lambda m: "Content Security Policy" in m.text and page.console_violations.append(m.text))
    return page


def _visit(page, path: str, ready: str):
    response = page.goto(path)
    assert "script-src 'self'" in response.headers.get("content-security-policy", ""), path
    expect(page.locator(ready).first).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert _violations(page) == [], path


def test_public_pages_load_with_nothing_blocked(new_page, as_user, places):
    token = scan_png(as_user("admin"), places["grid"]["plate"])
    page = _watched(new_page)
    _visit(page, "/login", "#username")
    _visit(page, f"/p/{token}", ".static-map .pin")
    _visit(page, f"/p/{token}/report/residence", "form")
    _visit(page, "/api/docs", ".swagger-ui .info .title")
    _visit(page, "/r/" + "Q" * 16, "main")


def test_staff_pages_with_maps_jobs_and_forms_load_with_nothing_blocked(new_page, home):
    page = _watched(new_page, "admin")
    _visit(page, "/", "header.top nav")
    _visit(page, f"/places/areas/{home['township'][0]}", "#map.leaflet-container")
    _visit(page, f"/places/a/{home['room']}", "#map.leaflet-container")
    _visit(page, "/admin/users", "table")
    _visit(page, "/account/password", "#current_password")
    _visit(page, f"/plates?area={home['grid'][0]}", "#print-form")
    page.locator("#print-form input[name=kinds]:not([disabled])").first.check()  # the preview follows, by script
    assert _violations(page) == []
    reviewer = _watched(new_page, "street")
    _visit(reviewer, "/review/queue", "main h1")
    _visit(reviewer, "/tasks", "main h1")


def test_the_field_app_starts_its_scanner_under_its_policy(new_page):
    page = _watched(new_page, "police", viewport={"width": 360, "height": 640}, is_mobile=True, has_touch=True)
    _visit(page, "/app/", "nav.tabs")
    # What the scanner does before the camera shows: fetch and compile the QR reader's WebAssembly.
    ready = page.evaluate("""async () => {
        const ponyfill = await import('/app/vendor/barcode-detector/ponyfill.js');
        await ponyfill.prepareZXingModule({ overrides: { locateFile: () => '/app/vendor/zxing-wasm/zxing_reader.wasm' },
                                            fireImmediately: true });
        const found = await new ponyfill.BarcodeDetector({ formats: ['qr_code'] }).detect(new ImageData(8, 8));
        return Array.isArray(found);
    }""")
    assert ready
    assert _violations(page) == []


def test_no_page_can_be_framed_by_another_site(new_page, server):
    page = _watched(new_page)
    page.set_content(f'<iframe src="{server.url}/login"></iframe>')
    page.wait_for_timeout(500)
    frame = page.frames[-1]
    assert frame.url in ("about:blank", "chrome-error://chromewebdata/") or not frame.locator("#username").count()
