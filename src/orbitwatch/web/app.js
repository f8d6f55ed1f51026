// orbitwatch dashboard: plain JavaScript, no library, no outside address.
// Everything is drawn on <canvas>: an equirectangular map of the sub-satellite
// points of the catalog, ground tracks, and element-history plots.
"use strict";

const S = {
  token: null, me: null, positions: [], sensors: [], track: [], selected: null,
  conj: [], events: [], streamAbort: null, refreshTimer: null,
};
const $ = (id) => document.getElementById(id);
const REGIME_COLOR = { LEO: "#4fb3ff", MEO: "#ffd166", GEO: "#7ee081", HEO: "#ff7eb6" };
const KINDS = { maneuver: "#7ee081", proximity: "#ffd166", breakup: "#ff5d5d", geo_relocation: "#c59bff", finding: "#4fb3ff", notice: "#bbbbbb" };

function esc(s) {
  return String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}
function fmtTime(iso) { return iso ? iso.replace("T", " ").replace(/\.\d+Z$/, "Z") : ""; }
function fmtNum(x, d = 3) { return x === null || x === undefined ? "—" : Number(x).toFixed(d); }
function fmtPc(x) { return x === null || x === undefined ? "—" : Number(x).toExponential(2); }

class AuthError extends Error {}

async function api(path, opts = {}) {
  const headers = Object.assign({ Authorization: `Bearer ${S.token}` }, opts.headers || {});
  const r = await fetch(path, Object.assign({}, opts, { headers }));
  if (r.status === 401) { throw new AuthError("token refused"); }
  if (!r.ok) { const e = new Error(`${r.status} ${path}`); e.status = r.status; throw e; }
  const type = r.headers.get("content-type") || "";
  return type.includes("json") ? r.json() : r.text();
}

// Every page of a list route (limit 1000 per request), as {data, count}.
async function apiAll(path) {
  const sep = path.includes("?") ? "&" : "?";
  let data = [], count = 0;
  for (let offset = 0; ; offset += 1000) {
    const r = await api(`${path}${sep}limit=1000&offset=${offset}`);
    data = data.concat(r.data); count = r.count;
    if (!r.data.length || data.length >= r.count) break;
  }
  return { data, count };
}

// ---------------------------------------------------------------- sign in / out

async function signIn(token) {
  S.token = token.trim();
  $("signin-error").textContent = "";
  try {
    S.me = await api("/api/v1/me");
  } catch (e) {
    S.token = null;
    $("signin-error").textContent = e instanceof AuthError ? "This token is not valid (unknown or revoked)." : `Cannot reach the service: ${e.message}`;
    return false;
  }
  sessionStorage.setItem("orbitwatch-token", S.token);
  $("who-text").textContent = `${S.me.partner} · ${S.me.role}`;
  $("who").hidden = false; $("signin").hidden = true; $("app").hidden = false;
  // everything loads at once; the map is drawn last, so a plotted map means the lists are in
  await Promise.all([loadPicture(false), loadObjects(), loadConjunctions(), loadEvents()]);
  drawMap();
  startStream();
  S.refreshTimer = setInterval(() => loadPicture().catch(onError), 30000);
  return true;
}

function signOut(message) {
  sessionStorage.removeItem("orbitwatch-token");
  if (S.streamAbort) S.streamAbort.abort();
  clearInterval(S.refreshTimer);
  Object.assign(S, { token: null, me: null, positions: [], sensors: [], track: [], selected: null });
  $("who").hidden = true; $("app").hidden = true; $("signin").hidden = false;
  $("token").value = "";
  $("signin-error").textContent = message || "";
}

function onError(e) {
  if (e instanceof AuthError) { signOut("Your token was refused; sign in again."); return; }
  console.error(e);
}

// ---------------------------------------------------------------- the picture (map)

const MAP = { w: 1080, h: 540 };
// view: "map" (equirectangular) or "globe" (orthographic, centred on lat0/lon0, drag to turn)
const VIEW = { kind: "map", lat0: 20, lon0: 0 };
const RAD = Math.PI / 180;
function project(lat, lon) {
  if (VIEW.kind === "map") return [((lon + 180) / 360) * MAP.w, ((90 - lat) / 180) * MAP.h, true];
  const R = MAP.h / 2 - 8, cx = MAP.w / 2, cy = MAP.h / 2;
  const p = lat * RAD, l = (lon - VIEW.lon0) * RAD, p0 = VIEW.lat0 * RAD;
  const cosc = Math.sin(p0) * Math.sin(p) + Math.cos(p0) * Math.cos(p) * Math.cos(l);
  const x = R * Math.cos(p) * Math.sin(l);
  const y = R * (Math.cos(p0) * Math.sin(p) - Math.sin(p0) * Math.cos(p) * Math.cos(l));
  return [cx + x, cy - y, cosc >= 0];
}

function strokePath(g, pts) {
  // pts: [[lat, lon], ...]; breaks at the antimeridian (map) and at the limb (globe)
  g.beginPath();
  let prev = null;
  for (const [lat, lon] of pts) {
    const [x, y, vis] = project(lat, lon);
    if (!vis) { prev = null; continue; }
    if (prev === null || (VIEW.kind === "map" && Math.abs(lon - prev) > 180)) g.moveTo(x, y); else g.lineTo(x, y);
    prev = lon;
  }
  g.stroke();
}

// Low-precision Sun position (Astronomical Almanac, ~0.01 deg): subsolar point for the terminator.
function subsolar(date) {
  const d = date.getTime() / 86400000 + 2440587.5 - 2451545.0;
  const g = ((357.529 + 0.98560028 * d) % 360) * Math.PI / 180;
  const q = (280.459 + 0.98564736 * d) % 360;
  const L = (q + 1.915 * Math.sin(g) + 0.020 * Math.sin(2 * g)) * Math.PI / 180;
  const e = (23.439 - 0.00000036 * d) * Math.PI / 180;
  const ra = Math.atan2(Math.cos(e) * Math.sin(L), Math.cos(L));
  const dec = Math.asin(Math.sin(e) * Math.sin(L));
  const gmst = ((280.46061837 + 360.98564736629 * d) % 360) * Math.PI / 180;
  let lon = (ra - gmst) * 180 / Math.PI;
  lon = ((lon + 540) % 360) - 180;
  return [dec * 180 / Math.PI, lon];
}

function drawMap() {
  const c = $("map"), g = c.getContext("2d");
  g.clearRect(0, 0, MAP.w, MAP.h);
  if (VIEW.kind === "map") {
    g.fillStyle = "#0a2340"; g.fillRect(0, 0, MAP.w, MAP.h);
    // night side: points more than 90 deg from the subsolar point
    const [slat, slon] = subsolar(new Date());
    const sl = slat * RAD;
    g.fillStyle = "rgba(0,0,0,0.35)";
    for (let x = 0; x < MAP.w; x += 4) {
      const lon = (x / MAP.w) * 360 - 180;
      const dl = (lon - slon) * RAD;
      // latitude where the Sun is on the horizon: tan(lat) = -cos(dl) / tan(slat)
      const latT = Math.atan(-Math.cos(dl) / Math.tan(sl || 1e-6)) / RAD;
      const yT = ((90 - latT) / 180) * MAP.h;
      if (slat >= 0) g.fillRect(x, yT, 4, MAP.h - yT); else g.fillRect(x, 0, 4, yT);
    }
  } else {
    g.fillStyle = "#05101e"; g.fillRect(0, 0, MAP.w, MAP.h);
    g.fillStyle = "#0a2340"; g.beginPath(); g.arc(MAP.w / 2, MAP.h / 2, MAP.h / 2 - 8, 0, 2 * Math.PI); g.fill();
  }
  // graticule
  g.strokeStyle = "rgba(255,255,255,0.12)"; g.lineWidth = 1;
  for (let lon = -180; lon < 180; lon += 30) { const pts = []; for (let lat = -90; lat <= 90; lat += 3) pts.push([lat, lon]); strokePath(g, pts); }
  for (let lat = -60; lat <= 60; lat += 30) {
    const pts = []; for (let lon = -180; lon <= 180; lon += 3) pts.push([lat, lon]);
    g.strokeStyle = lat === 0 ? "rgba(255,255,255,0.3)" : "rgba(255,255,255,0.12)"; strokePath(g, pts);
  }
  // sites: one marker per kind (radar triangle, optical diamond, comms square)
  let nSites = 0;
  const byKind = {};
  for (const s of S.sensors) {
    const lon = s.lon_deg > 180 ? s.lon_deg - 360 : s.lon_deg;
    const [x, y, vis] = project(s.lat_deg, lon);
    if (!vis) continue;
    drawSite(g, x, y, s.kind);
    nSites++;
    byKind[s.kind] = (byKind[s.kind] || 0) + 1;
  }
  // objects (on the globe: the hemisphere facing the viewer)
  let n = 0;
  for (const p of S.positions) {
    const [x, y, vis] = project(p.lat_deg, p.lon_deg);
    if (!vis) continue;
    g.fillStyle = REGIME_COLOR[p.regime] || "#cccccc";
    g.fillRect(x - 1.5, y - 1.5, 3, 3);
    n++;
  }
  // ground track of the selected object
  if (S.track.length) {
    g.strokeStyle = "#ff9f43"; g.lineWidth = 2;
    strokePath(g, S.track.map((p) => [p.lat_deg, p.lon_deg]));
    g.lineWidth = 1;
  }
  if (S.selected) {
    const p = S.positions.find((q) => q.norad_id === S.selected);
    if (p) {
      const [x, y, vis] = project(p.lat_deg, p.lon_deg);
      if (vis) { g.strokeStyle = "#ff9f43"; g.lineWidth = 2; g.beginPath(); g.arc(x, y, 7, 0, 2 * Math.PI); g.stroke(); g.lineWidth = 1; }
    }
  }
  c.dataset.plotted = String(n);
  c.dataset.sites = String(nSites);
  c.dataset.siteKinds = Object.keys(byKind).sort().map((k) => `${k}:${byKind[k]}`).join(",");
  c.dataset.view = VIEW.kind;
}

const SITE_STYLE = { radar: "#ffffff", optical: "#ffd166", comms: "#7ee081" };
function drawSite(g, x, y, kind) {
  g.fillStyle = SITE_STYLE[kind] || "#ffffff";
  g.strokeStyle = "#04111f"; g.lineWidth = 1;
  g.beginPath();
  if (kind === "optical") { g.moveTo(x, y - 6); g.lineTo(x + 5, y); g.lineTo(x, y + 6); g.lineTo(x - 5, y); }
  else if (kind === "comms") { g.rect(x - 4, y - 4, 8, 8); }
  else { g.moveTo(x, y - 6); g.lineTo(x - 5, y + 4); g.lineTo(x + 5, y + 4); }
  g.closePath(); g.fill(); g.stroke();
}

async function loadPicture(draw = true) {
  const [pos, sites] = await Promise.all([api("/api/v1/positions"), apiAll("/api/v1/sites")]);
  S.positions = pos.data; S.sensors = sites.data;
  $("map-status").textContent = `${pos.count} objects at ${fmtTime(pos.time)} · ${sites.count} sites`;
  $("site-count").textContent = sites.count;
  $("site-list").innerHTML = sites.data.map((s) =>
    `<li data-site="${s.id}"><b>${esc(s.code)}</b> ${esc(s.name)} <span class="site-kind">${esc(s.kind)} · ${fmtNum(s.lat_deg, 2)}, ${fmtNum(s.lon_deg, 2)} · min el ${fmtNum(s.min_elevation_deg, 1)}°</span> <span class="rel">${esc(s.partner)} → ${esc(s.releasable_to)}</span></li>`).join("");
  if (draw) drawMap();
}

function mapClick(ev) {
  const c = $("map"), r = c.getBoundingClientRect();
  const x = (ev.clientX - r.left) * (MAP.w / r.width), y = (ev.clientY - r.top) * (MAP.h / r.height);
  let best = null, bestD = 64;
  for (const p of S.positions) {
    const [px, py, vis] = project(p.lat_deg, p.lon_deg);
    if (!vis) continue;
    const d = (px - x) ** 2 + (py - y) ** 2;
    if (d < bestD) { best = p; bestD = d; }
  }
  if (best) selectObject(best.norad_id, false).catch(onError);
}

// ---------------------------------------------------------------- object list and page

async function loadObjects() {
  const q = $("obj-q").value.trim(), regime = $("obj-regime").value;
  const params = new URLSearchParams({ limit: "200" });
  if (q) params.set("q", q);
  if (regime) params.set("regime", regime);
  const r = await api(`/api/v1/objects?${params}`);
  $("obj-count").textContent = r.count;
  $("obj-list").innerHTML = r.data.map((o) =>
    `<li data-id="${o.norad_id}"><b>${o.norad_id}</b> ${esc(o.name)} <span class="rel">${esc(o.regime)} ${fmtNum(o.perigee_km, 0)}×${fmtNum(o.apogee_km, 0)} km</span></li>`).join("");
}

async function selectObject(id, openPage = true) {
  S.selected = id;
  const [obj, els, track, man, conj, det] = await Promise.all([
    api(`/api/v1/objects/${id}`),
    apiAll(`/api/v1/objects/${id}/elements`),
    api(`/api/v1/objects/${id}/track`),
    apiAll(`/api/v1/events?norad_id=${id}&kind=maneuver`),
    api(`/api/v1/conjunctions?norad_id=${id}&limit=50`),
    api(`/api/v1/objects/${id}/maneuvers`).catch(() => ({ data: [], count: 0 })),
  ]);
  S.track = track.data;
  drawMap();
  $("object-empty").hidden = true; $("object-page").hidden = false;
  $("op-title").textContent = `${obj.norad_id} ${obj.name || ""}`;
  const f = [["International designator", obj.intl_designator], ["Owner", obj.owner], ["Type", obj.object_type],
    ["Regime", obj.regime], ["Epoch", fmtTime(obj.epoch)], ["Perigee × apogee (km)", `${fmtNum(obj.perigee_km, 1)} × ${fmtNum(obj.apogee_km, 1)}`],
    ["Inclination (deg)", fmtNum(obj.inclination_deg, 4)], ["Period (min)", fmtNum(obj.period_min, 2)]];
  $("op-fields").innerHTML = f.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v ?? "—")}</dd>`).join("");
  $("op-nsets").textContent = `(${els.count} element sets)`;
  const t = els.data.map((e) => Date.parse(e.epoch));
  const marks = man.data.map((e) => Date.parse(e.time)).concat(det.data.map((m) => Date.parse(m.epoch_estimate)));
  $("op-nman").textContent = `${det.count} detected from the visible history, ${man.count} reported`;
  plot($("plot-a"), t, els.data.map((e) => e.semi_major_axis_km), marks);
  plot($("plot-i"), t, els.data.map((e) => e.inclination_deg), marks);
  plot($("plot-lon"), t, els.data.map((e) => e.geo_longitude_deg), marks, "not near-geostationary");
  $("op-conj").innerHTML = conj.data.map(conjItem).join("") || "<li class='muted'>none visible</li>";
  loadPasses(id).catch(onError);
  if (openPage) showTab("object");
}

// Next passes of the selected object over every visible site (24 h from now).
async function loadPasses(id) {
  const table = $("op-passes"), body = table.querySelector("tbody");
  table.dataset.loaded = "0"; table.dataset.rows = "0";
  body.innerHTML = "<tr><td colspan='9' class='muted'>computing…</td></tr>";
  $("op-passes-note").textContent = "";
  let r;
  try {
    r = await api(`/api/v1/objects/${id}/passes?hours=24&limit=200`);
  } catch (e) {
    if (e instanceof AuthError) throw e;
    r = { data: [], count: 0, error: e.message };
  }
  if (S.selected !== id) return;  // another object was selected meanwhile
  body.innerHTML = r.data.map((p) =>
    `<tr data-site="${p.site_id}"><td>${esc(p.site)}</td><td class="site-kind">${esc(p.kind)}</td>` +
    `<td>${fmtTime(p.rise)}${p.rise_truncated ? " (up)" : ""}</td><td>${fmtTime(p.culmination)}</td><td>${fmtTime(p.set)}${p.set_truncated ? " (still up)" : ""}</td>` +
    `<td>${fmtNum(p.max_elevation_deg, 2)}</td><td>${fmtNum(p.rise_az_deg, 1)} → ${fmtNum(p.set_az_deg, 1)}</td>` +
    `<td>${fmtNum(p.culmination_range_km, 0)}</td><td>${fmtNum(p.duration_s, 0)}</td></tr>`).join("") ||
    `<tr><td colspan='9' class='muted'>${r.error ? "cannot compute passes" : "no pass over a visible site in the next 24 h"}</td></tr>`;
  $("op-passes-note").textContent = `(${r.count} in the next 24 h${r.count > r.data.length ? `, first ${r.data.length} shown` : ""})`;
  table.dataset.rows = String(r.data.length);
  table.dataset.loaded = "1";
}

function plot(canvas, t, y, marks, emptyText = "no data") {
  const g = canvas.getContext("2d"), W = canvas.width, H = canvas.height, L = 64, R = 8, T = 8, B = 24;
  g.clearRect(0, 0, W, H);
  const pts = t.map((ti, k) => [ti, y[k]]).filter(([, v]) => v !== null && v !== undefined && isFinite(v));
  canvas.dataset.points = String(pts.length);
  g.fillStyle = "#8796ab"; g.font = "11px system-ui";
  if (!pts.length) { g.fillText(emptyText, L, H / 2); return; }
  let t0 = Math.min(...pts.map((p) => p[0])), t1 = Math.max(...pts.map((p) => p[0]));
  for (const m of marks) { if (m >= t0 - 86400e3 && m <= t1 + 86400e3) { t0 = Math.min(t0, m); t1 = Math.max(t1, m); } }
  if (t1 === t0) { t0 -= 43200e3; t1 += 43200e3; }
  let y0 = Math.min(...pts.map((p) => p[1])), y1 = Math.max(...pts.map((p) => p[1]));
  if (y1 - y0 < 1e-9) { y0 -= 0.5; y1 += 0.5; }
  const pad = (y1 - y0) * 0.08; y0 -= pad; y1 += pad;
  const X = (v) => L + ((v - t0) / (t1 - t0)) * (W - L - R), Y = (v) => T + (1 - (v - y0) / (y1 - y0)) * (H - T - B);
  g.strokeStyle = "#2e4063"; g.strokeRect(L, T, W - L - R, H - T - B);
  g.fillText(y1.toFixed(3), 2, T + 10); g.fillText(y0.toFixed(3), 2, H - B);
  g.fillText(new Date(t0).toISOString().slice(0, 10), L, H - 6);
  const endLabel = new Date(t1).toISOString().slice(0, 10); g.fillText(endLabel, W - R - g.measureText(endLabel).width, H - 6);
  g.strokeStyle = "#ff5d5d"; g.lineWidth = 1;
  let drawn = 0;
  for (const m of marks) { if (m < t0 || m > t1) continue; g.beginPath(); g.moveTo(X(m), T); g.lineTo(X(m), H - B); g.stroke(); drawn++; }
  canvas.dataset.marks = String(drawn);
  g.strokeStyle = "#4fb3ff"; g.beginPath();
  pts.forEach(([a, b], k) => (k ? g.lineTo(X(a), Y(b)) : g.moveTo(X(a), Y(b)))); g.stroke();
  g.fillStyle = "#dde6f2"; for (const [a, b] of pts) g.fillRect(X(a) - 1.5, Y(b) - 1.5, 3, 3);
}

// ---------------------------------------------------------------- conjunctions

function conjItem(c) {
  return `<li data-conj="${c.id}">${fmtTime(c.tca)} · ${c.object_1}–${c.object_2} · ${fmtNum(c.miss_distance_km)} km · Pc ${fmtPc(c.pc)}</li>`;
}

async function loadConjunctions() {
  const p = new URLSearchParams({ limit: "500", sort: $("cf-sort").value });
  if ($("cf-object").value) p.set("norad_id", $("cf-object").value);
  if ($("cf-miss").value) p.set("max_miss_km", $("cf-miss").value);
  if ($("cf-pc").value) p.set("min_pc", $("cf-pc").value);
  const r = await api(`/api/v1/conjunctions?${p}`);
  S.conj = r.data;
  $("conj-count").textContent = r.count;
  $("conj-table").querySelector("tbody").innerHTML = r.data.map((c) =>
    `<tr data-id="${c.id}"><td>${fmtTime(c.tca)}</td><td>${c.object_1} ${esc(c.object_1_name)}</td><td>${c.object_2} ${esc(c.object_2_name)}</td>` +
    `<td>${fmtNum(c.miss_distance_km)}</td><td>${fmtPc(c.pc)}</td><td>${fmtNum(c.relative_speed_km_s, 2)}</td><td class="rel">${esc(c.partner)} → ${esc(c.releasable_to)}</td></tr>`).join("");
}

async function openConjunction(id) {
  const c = await api(`/api/v1/conjunctions/${id}`);
  showTab("conjunctions");
  for (const tr of $("conj-table").querySelectorAll("tbody tr")) tr.classList.toggle("selected", tr.dataset.id === String(id));
  $("conj-detail").hidden = false; $("conj-detail").dataset.id = String(id);
  $("cd-title").textContent = `Conjunction ${c.id}: ${c.object_1} × ${c.object_2}`;
  const f = [["TCA", fmtTime(c.tca)], ["Miss distance (km)", fmtNum(c.miss_distance_km, 4)],
    ["Radial / in-track / cross-track (km)", `${fmtNum(c.miss_r_km)} / ${fmtNum(c.miss_t_km)} / ${fmtNum(c.miss_n_km)}`],
    ["Relative speed (km/s)", fmtNum(c.relative_speed_km_s)], ["Collision probability", fmtPc(c.pc)],
    ["Contributed by", c.partner], ["Releasable to", c.releasable_to], ["Screening job", c.screening_id ?? "—"]];
  $("cd-fields").innerHTML = f.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join("") +
    `<dt>Objects</dt><dd><a href="#" data-obj="${c.object_1}">${c.object_1}</a> · <a href="#" data-obj="${c.object_2}">${c.object_2}</a></dd>`;
  $("cd-cdm-text").hidden = true;
}

// ---------------------------------------------------------------- events

async function loadEvents() {
  const p = new URLSearchParams({ limit: "500" });
  if ($("ef-kind").value) p.set("kind", $("ef-kind").value);
  if ($("ef-object").value) p.set("norad_id", $("ef-object").value);
  const r = await api(`/api/v1/events?${p}`);
  S.events = r.data;
  $("event-count").textContent = r.count;
  $("event-list").innerHTML = r.data.map(eventItem).join("");
  drawTimeline();
}

function eventItem(e, fresh = false) {
  return `<li data-id="${e.id}" ${e.norad_id ? `data-obj="${e.norad_id}"` : ""} class="${fresh ? "fresh" : ""}"><span class="kind ${esc(e.kind)}">${esc(e.kind)}</span>` +
    `${fmtTime(e.time)} · ${e.norad_id ?? ""} ${esc(e.title)} <span class="rel">${esc(e.partner)} → ${esc(e.releasable_to)}</span></li>`;
}

function drawTimeline() {
  const c = $("timeline"), g = c.getContext("2d"), W = c.width, H = c.height;
  g.clearRect(0, 0, W, H);
  const ts = S.events.map((e) => Date.parse(e.time));
  if (!ts.length) return;
  let t0 = Math.min(...ts), t1 = Math.max(...ts);
  if (t0 === t1) { t0 -= 86400e3; t1 += 86400e3; }
  const X = (t) => 10 + ((t - t0) / (t1 - t0)) * (W - 20);
  g.strokeStyle = "#2e4063"; g.beginPath(); g.moveTo(10, H - 20); g.lineTo(W - 10, H - 20); g.stroke();
  const lanes = Object.keys(KINDS);
  S.events.forEach((e, k) => {
    const lane = lanes.indexOf(e.kind);
    g.fillStyle = KINDS[e.kind] || "#ccc";
    g.fillRect(X(ts[k]) - 2, 6 + lane * 14, 4, 12);
  });
  g.fillStyle = "#8796ab"; g.font = "11px system-ui";
  g.fillText(new Date(t0).toISOString().slice(0, 16) + "Z", 10, H - 5);
  const end = new Date(t1).toISOString().slice(0, 16) + "Z"; g.fillText(end, W - 10 - g.measureText(end).width, H - 5);
}

// ---------------------------------------------------------------- live stream (SSE over fetch)

async function startStream() {
  if (S.streamAbort) S.streamAbort.abort();
  const ctrl = new AbortController(); S.streamAbort = ctrl;
  let cursor = null;
  while (!ctrl.signal.aborted && S.token) {
    try {
      const headers = { Authorization: `Bearer ${S.token}` };
      if (cursor) headers["Last-Event-ID"] = cursor;
      const r = await fetch("/api/v1/stream", { headers, signal: ctrl.signal });
      if (r.status === 401) { signOut("Your token was refused; sign in again."); return; }
      $("live").className = "live on";
      const reader = r.body.getReader(), dec = new TextDecoder();
      let buf = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += dec.decode(value, { stream: true });
        let i;
        while ((i = buf.indexOf("\n\n")) >= 0) {
          const block = buf.slice(0, i); buf = buf.slice(i + 2);
          let kind = "message", data = null;
          for (const line of block.split("\n")) {
            if (line.startsWith("event: ")) kind = line.slice(7);
            else if (line.startsWith("data: ")) data = line.slice(6);
            else if (line.startsWith("id: ")) cursor = line.slice(4);
          }
          if (data) onLive(kind, JSON.parse(data));
        }
      }
    } catch (e) {
      if (ctrl.signal.aborted) return;
    }
    $("live").className = "live off";
    await new Promise((res) => setTimeout(res, 3000));
  }
}

function dropEvents(ids) {
  // records a later run revised or withdrew leave the list (the service lists current ones)
  const gone = new Set(ids);
  const before = S.events.length;
  S.events = S.events.filter((e) => !gone.has(e.id));
  for (const id of gone) { const li = $("event-list").querySelector(`li[data-id="${id}"]`); if (li) li.remove(); }
  const n = before - S.events.length;
  if (n) $("event-count").textContent = String(Math.max(0, Number($("event-count").textContent) - n));
}

function onLive(kind, rec) {
  if (kind === "event") {
    dropEvents(rec.supersedes || []);
    S.events.unshift(rec);
    $("event-list").insertAdjacentHTML("afterbegin", eventItem(rec, true));
    $("event-count").textContent = String(Number($("event-count").textContent) + 1);
    drawTimeline();
  } else if (kind === "superseded") {
    dropEvents([rec.id]);
    drawTimeline();
  } else if (kind === "conjunction") {
    loadConjunctions().catch(onError);
  }
}

// ---------------------------------------------------------------- wiring

function showTab(name) {
  for (const b of document.querySelectorAll("nav button")) b.classList.toggle("active", b.dataset.tab === name);
  for (const s of document.querySelectorAll(".tab")) s.hidden = s.id !== `tab-${name}`;
}

document.addEventListener("DOMContentLoaded", () => {
  $("signin-form").addEventListener("submit", (e) => { e.preventDefault(); signIn($("token").value); });
  $("signout").addEventListener("click", () => signOut(""));
  for (const b of document.querySelectorAll("nav button")) b.addEventListener("click", () => showTab(b.dataset.tab));
  $("map").addEventListener("click", (ev) => { if (!VIEW.dragged) mapClick(ev); VIEW.dragged = false; });
  $("view-toggle").addEventListener("click", () => {
    VIEW.kind = VIEW.kind === "map" ? "globe" : "map";
    $("view-toggle").textContent = VIEW.kind === "map" ? "Globe view" : "Map view";
    if (VIEW.kind === "globe" && S.selected) {
      const p = S.positions.find((q) => q.norad_id === S.selected);
      if (p) { VIEW.lon0 = p.lon_deg; VIEW.lat0 = Math.max(-60, Math.min(60, p.lat_deg)); }
    }
    drawMap();
  });
  // drag to turn the globe
  $("map").addEventListener("mousedown", (ev) => { if (VIEW.kind === "globe") VIEW.drag = [ev.clientX, ev.clientY, VIEW.lon0, VIEW.lat0]; });
  window.addEventListener("mouseup", () => { VIEW.drag = null; });
  $("map").addEventListener("mousemove", (ev) => {
    if (!VIEW.drag) return;
    const [x0, y0, lon0, lat0] = VIEW.drag, k = 180 / MAP.h;
    if (Math.abs(ev.clientX - x0) + Math.abs(ev.clientY - y0) > 3) VIEW.dragged = true;
    VIEW.lon0 = ((lon0 - (ev.clientX - x0) * k + 540) % 360) - 180;
    VIEW.lat0 = Math.max(-89, Math.min(89, lat0 + (ev.clientY - y0) * k));
    drawMap();
  });
  $("obj-search").addEventListener("submit", (e) => { e.preventDefault(); loadObjects().catch(onError); });
  $("obj-list").addEventListener("click", (e) => { const li = e.target.closest("li[data-id]"); if (li) selectObject(Number(li.dataset.id)).catch(onError); });
  $("conj-filters").addEventListener("submit", (e) => { e.preventDefault(); loadConjunctions().catch(onError); });
  $("conj-table").addEventListener("click", (e) => { const tr = e.target.closest("tr[data-id]"); if (tr) openConjunction(Number(tr.dataset.id)).catch(onError); });
  $("cd-cdm").addEventListener("click", async () => {
    try { $("cd-cdm-text").textContent = await api(`/api/v1/conjunctions/${$("conj-detail").dataset.id}/cdm`); $("cd-cdm-text").hidden = false; } catch (e) { onError(e); }
  });
  $("conj-detail").addEventListener("click", (e) => { const a = e.target.closest("a[data-obj]"); if (a) { e.preventDefault(); selectObject(Number(a.dataset.obj)).catch(onError); } });
  $("event-filters").addEventListener("submit", (e) => { e.preventDefault(); loadEvents().catch(onError); });
  $("event-list").addEventListener("click", (e) => { const li = e.target.closest("li[data-obj]"); if (li) selectObject(Number(li.dataset.obj)).catch(onError); });
  $("op-conj").addEventListener("click", (e) => { const li = e.target.closest("li[data-conj]"); if (li) openConjunction(Number(li.dataset.conj)).catch(onError); });
  const saved = sessionStorage.getItem("orbitwatch-token");
  if (saved) signIn(saved);
});
