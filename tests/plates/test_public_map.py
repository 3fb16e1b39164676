"""The public plate page's map without script or inline style: the tiles around the point are
placed by SVG geometry, so its Content-Security-Policy needs to allow only the tile server's images."""
import re

from app import create_app
from app.jobs.services import bind_app
from config import TestConfig
from tests.plates.test_plates import scan_png


def test_the_tiles_sit_around_the_pin_and_only_their_server_is_allowed(app, as_user, places):
    token = scan_png(as_user("admin"), places["grid"]["plate"])

    class WithTiles(TestConfig):
        MAP_TILE_URL = "https://{s}.tile.example.cn/{z}/{x}/{y}.png"

    try:
        page = create_app(WithTiles).test_client().get(f"/p/{token}", headers={"Accept": "text/html"})
    finally:
        bind_app(app)
    html = page.get_data(as_text=True)
    tiles = [(int(x), int(y)) for x, y in
             re.findall(r'<image href="https://a\.tile\.example\.cn/[^"]+" x="(-?\d+)" y="(-?\d+)"', html)]
    assert len(tiles) == 9
    centre = sorted(tiles)[4]  # the tile the point is on: it starts less than a tile up and left of the point
    assert -256 < centre[0] <= 0 and -256 < centre[1] <= 0
    assert {(x - centre[0], y - centre[1]) for x, y in tiles} == {(dx * 256, dy * 256) for dx in (-1, 0, 1)
                                                                 for dy in (-1, 0, 1)}
    assert "style=" not in html
    assert "img-src 'self' data: blob: https://*.tile.example.cn;" in page.headers["Content-Security-Policy"]
