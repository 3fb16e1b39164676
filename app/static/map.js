// Building markers on a Leaflet map. Tiles only when a tile URL is configured: nothing is fetched
// from outside by default. Marker coordinates arrive already in the tiles' coordinate system, in the
// map element's data-markers and data-tiles (JSON): pages carry data, never script.
function drawMap(element, markers, tiles) {
  const map = L.map(element, { attributionControl: Boolean(tiles.url) });
  if (tiles.url) L.tileLayer(tiles.url, { maxZoom: 19, attribution: tiles.attribution || "" }).addTo(map);
  const points = markers.map((m) => {
    const latLng = [m.at[1], m.at[0]];
    // A pin with a code links to its address in the system; without one (public pages) it is text.
    const link = document.createElement(m.code ? "a" : "span");
    if (m.code) link.href = `/places/a/${encodeURIComponent(m.code)}`;
    link.textContent = m.label; // text, not HTML: names come from data
    L.circleMarker(latLng, { radius: 6, color: m.color || "#0b4ea2", weight: 2, fillOpacity: 0.6 })
      .bindPopup(link)
      .addTo(map);
    return latLng;
  });
  if (points.length === 1) map.setView(points[0], 17);
  else if (points.length) map.fitBounds(points, { padding: [20, 20] });
  else map.setView([32.01, 112.12], 10);
  return map;
}

const element = document.getElementById("map");
if (element) drawMap(element, JSON.parse(element.dataset.markers), JSON.parse(element.dataset.tiles));
