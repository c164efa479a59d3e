// kubectl promote dashboard: renders /api/pipeline, follows /api/events
// (server-sent events fed by cluster watches) and posts actions with the
// session token. Every value goes into the page as text, never as HTML.
"use strict";

const token = document.querySelector('meta[name="promote-token"]').content;
const readOnly = document.querySelector('meta[name="promote-read-only"]').content === "true";
const envs = new Map();      // name -> EnvView
const order = [];            // names in pipeline order
const actions = new Map();   // id -> ActionView
let approver = "";
let selected = "";           // environment whose history is shown

const outcome = {
  succeeded: ["✓", "succeeded"], failed: ["✗", "failed"], "rolled-back": ["↺", "rolled back"],
  "undo-failed": ["!", "undo failed"], progressing: ["…", "progressing"], interrupted: ["⏸", "interrupted"],
  superseded: ["○", "superseded"],
};
const healthText = {
  Healthy: "✔ Healthy", Unhealthy: "✖ Unhealthy", Unknown: "? Unknown", NoRelease: "– no release yet",
};

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (v !== false && v !== undefined && v !== null) e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

function field(label, value, cls) {
  return el("div", { class: "field " + (cls || "") }, el("dt", {}, label), el("dd", {}, value));
}

function timeText(t) {
  if (!t) return "–";
  const d = new Date(t);
  return isNaN(d) ? "–" : d.toLocaleString();
}

function artifacts(rel) {
  if (!rel || !rel.artifacts || rel.artifacts.length === 0) return "none";
  return rel.artifacts.map(a => (a.type === "chart" ? "chart " : "") + a.ref).join(", ");
}

function revisionText(v) {
  if (!v.current) return "none";
  let s = "revision " + v.current.revision;
  if (v.latest && v.latest.revision !== v.current.revision) {
    s += " (latest: revision " + v.latest.revision + " " + (outcome[v.latest.status] || ["", v.latest.status])[1] + ")";
  }
  return s;
}

function weightsText(w) {
  if (!w) return "";
  return Object.entries(w).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([k, v]) => k + " " + v + "%").join(", ");
}

function rolloutNode(v) {
  const r = v.rollout;
  if (!r) return "none in progress";
  const parts = [r.strategy + ", step " + r.step + " of " + r.steps + (r.phase ? ": " + r.phase : "")];
  const w = weightsText(r.weights);
  if (w) parts.push("traffic: " + w);
  const ex = r.blueGreen || {};
  if (ex.to) parts.push(colourText(r.phase, ex));
  if (r.paused) parts.push("paused" + (r.pauseReason ? " (" + r.pauseReason + ")" : ""));
  if (v.interrupted) parts.push("interrupted: no process drives it; resume or abort takes it over");
  const box = el("div", { class: "rollout-text" }, parts.join("; "));
  const canary = r.weights ? (r.weights.canary ?? r.weights[ex.to]) : undefined;
  if (canary !== undefined) {
    box.append(el("div", { class: "weight" },
      el("label", { for: "w-" + v.name }, "new version’s share of traffic"),
      el("meter", { id: "w-" + v.name, min: 0, max: 100, value: canary }, canary + "%"),
      el("span", { class: "weight-value" }, canary + "%")));
  }
  return box;
}

// colourText says which colour serves: before the switch the old one
// (the new one behind the preview Service), after it the new one while the
// old is kept for the scale-down delay.
function colourText(phase, bg) {
  if (phase !== "switched") return "active " + (bg.from || "none") + ", preview " + bg.to;
  if (!bg.from) return "active " + bg.to;
  return "active " + bg.to + ", " + bg.from + " kept" + (bg.scaleDownAt ? " until " + timeText(bg.scaleDownAt) : "");
}

function gatesText(v) {
  const g = v.gates || {};
  const parts = [];
  if (g.soak) parts.push("soak " + g.soak + (g.soakLeft ? " (" + g.soakLeft + " left)" : v.upstreamRevision ? " (met)" : ""));
  if (g.approval) parts.push("approval required");
  return parts.length ? parts.join("; ") : "none";
}

function lockText(v) {
  if (!v.lock) return "free";
  return (v.lock.expired ? "expired, was held by " : "held by ") + v.lock.holder;
}

function card(v) {
  const li = el("li", { class: "env", id: "env-" + v.name, "data-env": v.name });
  const health = v.reachable ? (healthText[v.health] || v.health) : "✖ unreachable";
  li.append(el("h3", {}, v.name),
    el("p", { class: "where" }, (v.context || "current context") + " · namespace " + v.namespace + " · " + v.strategy));
  const dl = el("dl", {},
    field("Revision", revisionText(v), "revision"),
    field("Health", el("span", { class: "badge health-" + (v.reachable ? v.health : "unreachable") }, health), "health"),
    field("Artifacts", artifacts(v.current), "artifacts"),
    field("Rollout", rolloutNode(v), "rollout"),
    field("Lock", lockText(v), "lock"),
    field("Gates", gatesText(v), "gates"));
  if (v.from) {
    dl.append(field("Upstream", v.promotable
      ? "⬆ " + v.from + " revision " + v.upstreamRevision + " can be promoted"
      : v.from + (v.upstreamRevision ? ": up to date" : ": nothing released yet"), "upstream"));
  }
  li.append(dl);
  if (v.error) li.append(el("p", { class: "error", role: "alert" }, "⚠ " + v.error));
  li.append(buttons(v));
  return li;
}

function buttons(v) {
  const bar = el("div", { class: "buttons" },
    el("button", { type: "button", class: "details", onclick: () => showHistory(v.name) }, "History"));
  if (v.from && v.reachable) {
    bar.append(el("button", { type: "button", class: "diff", onclick: () => showDiff(v.name) }, "Diff from " + v.from));
  }
  if (readOnly || !v.reachable) return bar;
  if (v.rollout) {
    bar.append(el("button", { type: "button", class: "resume", onclick: () => ask(v, "resume") }, "Resume"),
      el("button", { type: "button", class: "abort", onclick: () => ask(v, "abort") }, "Abort"));
  }
  if (v.from && v.promotable) bar.append(el("button", { type: "button", class: "promote", onclick: () => ask(v, "promote") }, "Promote from " + v.from));
  if (v.current) bar.append(el("button", { type: "button", class: "undo", onclick: () => ask(v, "undo") }, "Undo…"));
  return bar;
}

function renderEnv(v) {
  if (!envs.has(v.name)) order.push(v.name);
  envs.set(v.name, v);
  const node = card(v);
  const old = document.getElementById("env-" + v.name);
  if (old) old.replaceWith(node);
  else renderChain();
  if (selected === v.name) showHistory(v.name);
}

function renderChain() {
  const chain = document.getElementById("chain");
  chain.replaceChildren(...order.map(n => card(envs.get(n))));
}

// --- actions ---------------------------------------------------------

const confirmText = {
  resume: v => "Resume the paused " + (v.rollout ? v.rollout.strategy : "") + " rollout of " + v.name + "? It goes on to its next step.",
  abort: v => "Abort the rollout of " + v.name + "? All traffic goes back to the stable version and the release is undone.",
  promote: v => "Promote " + v.from + " revision " + (v.upstreamRevision || "?") + " into " + v.name + "? It is rendered, diffed, applied with the " + v.strategy + " strategy and watched; a failure is undone.",
  undo: v => "Re-apply an earlier release of " + v.name + " whole, as a new revision?",
};

async function ask(v, action) {
  const dlg = document.getElementById("confirm");
  document.getElementById("confirm-title").textContent = action[0].toUpperCase() + action.slice(1) + " " + v.name;
  document.getElementById("confirm-text").textContent = confirmText[action](v);
  const approval = document.getElementById("confirm-approval");
  approval.hidden = !(action === "promote" && v.gates && v.gates.approval);
  document.getElementById("confirm-approve").checked = false;
  document.getElementById("confirm-approver").value = approver;
  const rev = document.getElementById("confirm-revision");
  rev.hidden = action !== "undo";
  if (action === "undo") await fillRevisions(v.name);
  dlg.returnValue = "";
  dlg.onclose = () => {
    if (dlg.returnValue !== "ok") return;
    const body = { action };
    if (action === "undo") body.revision = Number(document.getElementById("confirm-rev").value) || 0;
    if (action === "promote") {
      body.approve = document.getElementById("confirm-approve").checked;
      body.approver = document.getElementById("confirm-approver").value;
    }
    post(v.name, body);
  };
  dlg.showModal();
}

async function fillRevisions(name) {
  const sel = document.getElementById("confirm-rev");
  sel.replaceChildren(el("option", { value: "0" }, "the previous successful release"));
  try {
    const h = await (await fetch("/api/environments/" + encodeURIComponent(name) + "/history")).json();
    for (const r of h.releases || []) {
      sel.append(el("option", { value: r.revision }, "revision " + r.revision + " (" + (outcome[r.status] || ["", r.status])[1] + ", " + artifacts(r) + ")"));
    }
  } catch (e) { /* the default option still works */ }
}

async function post(env, body) {
  let res;
  try {
    res = await fetch("/api/environments/" + encodeURIComponent(env) + "/actions", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Promote-Token": token },
      body: JSON.stringify(body),
    });
  } catch (e) {
    renderAction({ id: "local-" + Date.now(), environment: env, request: body, state: "failed", error: String(e), events: [] });
    return;
  }
  const data = await res.json();
  if (!res.ok) {
    renderAction({ id: "local-" + Date.now(), environment: env, request: body, state: "failed", error: data.error, events: [] });
    return;
  }
  renderAction(data);
}

function renderAction(a) {
  actions.set(String(a.id), a);
  const list = document.getElementById("actions");
  const items = [...actions.values()].reverse().map(x => {
    const mark = { running: "⏳ running", succeeded: "✓ done", failed: "✗ failed" }[x.state] || x.state;
    const li = el("li", { class: "action action-" + x.state, id: "action-" + x.id },
      el("strong", {}, x.request.action + " " + x.environment), " — ",
      el("span", { class: "state" }, mark),
      x.result ? el("span", { class: "result" }, ": " + x.result) : null,
      x.error ? el("span", { class: "error" }, ": " + x.error + (x.exitCode ? " (exit code " + x.exitCode + ")" : "")) : null);
    if (x.events && x.events.length) {
      li.append(el("ol", { class: "progress" }, x.events.slice(-8).map(e =>
        el("li", {}, (e.phase ? "[" + e.phase + "] " : "") + e.message))));
    }
    return li;
  });
  list.replaceChildren(...items);
}

// --- next promotion --------------------------------------------------

// showDiff shows what promoting the upstream's current release would
// change (server-side dry-run; Secret values masked by the server).
async function showDiff(name) {
  const sec = document.getElementById("diff-section");
  const summary = document.getElementById("diff-summary");
  const pre = document.getElementById("diff");
  sec.hidden = false;
  document.getElementById("diff-title").textContent = "Next promotion into " + name;
  summary.textContent = "Computing the diff (server-side dry-run)…";
  pre.textContent = "";
  try {
    const res = await fetch("/api/environments/" + encodeURIComponent(name) + "/diff");
    const d = await res.json();
    if (!res.ok) throw new Error(d.error);
    summary.textContent = d.from + " revision " + d.upstreamRevision + " (" + artifacts(d) + ") into " + name + ": " +
      (d.hasDifferences ? d.summary : "no differences");
    pre.textContent = d.text;
  } catch (e) {
    summary.textContent = "⚠ " + e.message;
  }
}

// --- history ---------------------------------------------------------

async function showHistory(name) {
  selected = name;
  const sec = document.getElementById("details");
  sec.hidden = false;
  document.getElementById("details-title").textContent = "History of " + name;
  let h;
  try {
    const res = await fetch("/api/environments/" + encodeURIComponent(name) + "/history");
    h = await res.json();
    if (!res.ok) throw new Error(h.error);
  } catch (e) {
    document.querySelector("#history tbody").replaceChildren(el("tr", {}, el("td", { colspan: 8, class: "error" }, "⚠ " + e.message)));
    return;
  }
  const rels = h.releases || [];
  document.querySelector("#history tbody").replaceChildren(...rels.map(r => {
    const o = outcome[r.status] || ["", r.status];
    return el("tr", { class: "status-" + r.status },
      el("td", {}, r.revision), el("td", {}, o[0] + " " + o[1]),
      el("td", {}, timeText(r.started)), el("td", {}, r.duration || "–"),
      el("td", {}, r.source ? r.source.environment + " r" + r.source.revision : "–"),
      el("td", {}, artifacts(r)), el("td", {}, [r.user, r.approver ? "approved by " + r.approver : ""].filter(Boolean).join(", ") || "–"),
      el("td", {}, (r.reason || "") + (r.failure ? " (" + r.failure.object + ": " + r.failure.reason + ")" : "")));
  }));
  plot(rels.slice().reverse());
  analysisCharts(rels);
}

const phaseMark = { Successful: "✓", Failed: "✗", Inconclusive: "?", Error: "!" };

// analysisCharts draws, for the newest releases that ran an analysis, each
// check's measured values in order, every point marked with its verdict,
// under the condition that judged it.
function analysisCharts(rels) {
  const box = document.getElementById("analysis");
  const runs = [];
  for (const r of rels) for (const a of r.analysis || []) if (runs.length < 6) runs.push([r, a]);
  if (runs.length === 0) {
    box.replaceChildren(el("p", {}, "No release of this environment ran an analysis."));
    return;
  }
  box.replaceChildren(...runs.map(([r, a]) => el("figure", { class: "analysis" },
    el("figcaption", {}, "Revision " + r.revision + ", " + (a.name || "analysis") + ": " +
      (phaseMark[a.phase] || "") + " " + a.phase + (a.message && (a.checks || []).length !== 1 ? " — " + a.message : "")),
    ...(a.checks || []).map(checkChart))));
}

function checkChart(c) {
  const ms = c.measurements || [];
  const nums = ms.map(m => typeof m.value === "number" ? m.value : NaN);
  const finite = nums.filter(n => isFinite(n));
  const why = ms.map(m => m.why).find(Boolean) || "";
  const head = el("p", { class: "check" }, c.name + ": " + (phaseMark[c.phase] || "") + " " + c.phase +
    (why ? " (condition: " + why + ")" : "") + (c.message ? " — " + c.message : ""));
  if (finite.length === 0) {
    return el("div", {}, head, el("ol", {}, ms.map(m => el("li", {},
      (phaseMark[m.phase] || "") + " " + m.phase + (m.value !== undefined ? ": " + JSON.stringify(m.value) : "") + (m.error ? " (" + m.error + ")" : "")))));
  }
  const W = Math.max(260, ms.length * 40 + 70), H = 130, top = 14, base = 100;
  let lo = Math.min(0, ...finite), hi = Math.max(...finite);
  if (hi === lo) hi = lo + 1;
  const y = v => base - ((v - lo) / (hi - lo)) * (base - top);
  const s = svg("svg", { width: W, height: H, viewBox: "0 0 " + W + " " + H, role: "img",
    "aria-label": c.name + " measurements: " + ms.map(m => (typeof m.value === "number" ? m.value : "no value") + " " + m.phase).join(", ") });
  s.append(svg("text", { x: 2, y: top, class: "axis" }, String(+hi.toPrecision(3))),
    svg("text", { x: 2, y: base, class: "axis" }, String(+lo.toPrecision(3))),
    svg("line", { x1: 50, y1: base, x2: W - 10, y2: base, class: "axis-line" }));
  const pts = [];
  ms.forEach((m, i) => {
    const x = 64 + i * 40;
    const g = svg("g", { class: "point phase-" + m.phase });
    g.append(svg("title", {}, "measurement " + (i + 1) + ": " + (isFinite(nums[i]) ? nums[i] : "no value") + ", " + m.phase + (m.why ? " (" + m.why + ")" : "")));
    if (isFinite(nums[i])) {
      pts.push(x + "," + y(nums[i]));
      g.append(svg("circle", { cx: x, cy: y(nums[i]), r: 4 }));
    }
    g.append(svg("text", { x, y: base + 16, "text-anchor": "middle", class: "mark" }, phaseMark[m.phase] || "?"));
    s.append(g);
  });
  if (pts.length > 1) s.prepend(svg("polyline", { points: pts.join(" "), class: "series" }));
  return el("div", {}, head, s);
}

const svgNS = "http://www.w3.org/2000/svg";
function svg(tag, attrs, text) {
  const e = document.createElementNS(svgNS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

// plot draws one bar per release, height its duration, and the outcome as
// a mark and a pattern, so that colour is never the only cue.
function plot(rels) {
  const box = document.getElementById("plot");
  if (rels.length === 0) { box.replaceChildren(el("p", {}, "No release yet.")); return; }
  const W = Math.max(320, rels.length * 48 + 60), H = 180, base = 140, top = 20;
  const max = Math.max(1, ...rels.map(r => r.seconds || 0));
  const s = svg("svg", { width: W, height: H, viewBox: "0 0 " + W + " " + H, role: "img",
    "aria-label": "release durations by revision" });
  s.append(svg("text", { x: 4, y: 12, class: "axis" }, "max " + Math.round(max) + " s"),
    svg("line", { x1: 40, y1: base, x2: W - 10, y2: base, class: "axis-line" }));
  rels.forEach((r, i) => {
    const x = 48 + i * 48, h = Math.max(2, ((r.seconds || 0) / max) * (base - top));
    const o = outcome[r.status] || ["?", r.status];
    const g = svg("g", { class: "bar status-" + r.status });
    const detected = r.detectedAfter ? "; failure detected after " + r.detectedAfter.toFixed(1) + " s" : "";
    g.append(svg("title", {}, "revision " + r.revision + ": " + o[1] + ", " + (r.duration || "running") + detected),
      svg("rect", { x, y: base - h, width: 28, height: h }),
      svg("text", { x: x + 14, y: base + 16, "text-anchor": "middle", class: "mark" }, o[0]),
      svg("text", { x: x + 14, y: base + 32, "text-anchor": "middle", class: "rev" }, "r" + r.revision));
    if (r.detectedAfter) {
      // A tick across the bar at the time the failure was detected.
      const y = base - Math.max(2, (r.detectedAfter / max) * (base - top));
      g.append(svg("line", { x1: x - 4, y1: y, x2: x + 32, y2: y, class: "detected" }),
        svg("text", { x: x + 34, y: y + 4, class: "detected-label" }, r.detectedAfter.toFixed(1) + " s"));
    }
    s.append(g);
  });
  box.replaceChildren(s);
}

// --- live ------------------------------------------------------------

function connect() {
  const status = document.getElementById("connection");
  const es = new EventSource("/api/events");
  es.onopen = () => { status.textContent = "● Live: updates arrive as the cluster changes"; status.className = "live"; };
  es.onerror = () => { status.textContent = "○ Disconnected: reconnecting…"; status.className = "down"; };
  es.addEventListener("environment", ev => renderEnv(JSON.parse(ev.data)));
  es.addEventListener("action", ev => renderAction(JSON.parse(ev.data)));
}

async function start() {
  try {
    const p = await (await fetch("/api/pipeline")).json();
    approver = p.approver || "";
    for (const v of p.environments) { order.push(v.name); envs.set(v.name, v); }
    renderChain();
  } catch (e) {
    document.getElementById("connection").textContent = "⚠ " + e.message;
  }
  connect();
}

start();
