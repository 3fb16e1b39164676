// Where the phone is (WGS-84, as the address pack), and how far things are from it.
export const POOR_ACCURACY_M = 100;

export function locate({ timeout = 10000 } = {}) {
  return new Promise((resolve) => {
    if (!('geolocation' in navigator)) return resolve({ error: '此浏览器不支持定位' });
    navigator.geolocation.getCurrentPosition(
      (p) => resolve({ lon: p.coords.longitude, lat: p.coords.latitude, accuracy_m: Math.round(p.coords.accuracy * 10) / 10 }),
      (e) => resolve({ error: e.code === 1 ? '未允许定位：请在浏览器设置中允许本站获取位置' : '暂时无法定位' }),
      { enableHighAccuracy: true, timeout, maximumAge: 30000 });
  });
}

export function distanceM(lon1, lat1, lon2, lat2) {
  const rad = Math.PI / 180;
  const a = Math.sin(((lat2 - lat1) * rad) / 2) ** 2
    + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(((lon2 - lon1) * rad) / 2) ** 2;
  return 2 * 6371008.8 * Math.asin(Math.sqrt(a));
}

// How far a place ({lon, lat}: a building, a plate) is from the phone's position, in metres; review
// measures the same, from the photo's position.
export function distanceFrom(position, place) { return distanceM(position.lon, position.lat, place.lon, place.lat); }

export function formatDistance(m) {
  return m < 1000 ? `${Math.round(m)} 米` : `${(m / 1000).toFixed(1)} 公里`;
}
