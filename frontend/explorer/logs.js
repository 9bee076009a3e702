// Logs explorer: newest first, filters by source, status and text, a time range, rows that
// expand to show every field, auto-refresh, and keyset paging ("older") that stays fast.
import { formatTime, getJSON, h, rangeParams, t, timeControls } from "./common.js";

const STATUSES = ["emerg", "alert", "critical", "error", "warning", "notice", "info", "debug", "OK"];
const PAGE = 100;
const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const state = {
  source: params.get("source") || "",
  status: params.get("status") || "",
  q: params.get("q") || "",
  range: params.get("range") || "1h",
  customFrom: "",
  customTo: "",
  nextBefore: null,
};

function query(extra = {}) {
  return {
    source: state.source, status: state.status, q: state.q, limit: PAGE,
    ...rangeParams(state.range, state.customFrom, state.customTo), ...extra,
  };
}

function row(log) {
  const detail = h("tr", { class: "log-detail", hidden: true },
    h("td", { colspan: 5 }, h("pre", {}, JSON.stringify(
      { time: log.time, source: log.source, status: log.status, message: log.message,
        tags: log.tags, fields: log.fields }, null, 2))));
  const tags = Object.entries(log.tags).map(([k, v]) => h("span", { class: "tag-chip" }, `${k}:${v}`));
  const main = h("tr", {
    class: "log-row", "data-id": log.id,
    onclick: () => { detail.hidden = !detail.hidden; main.classList.toggle("open", !detail.hidden); },
  },
  h("td", { class: "nowrap log-time" }, formatTime(log.time)),
  h("td", {}, h("code", {}, log.source)),
  h("td", {}, h("span", { class: `level level-${log.status.toLowerCase()}` }, log.status)),
  h("td", { class: "log-message" }, log.message),
  h("td", { class: "log-tags" }, tags));
  return [main, detail];
}

async function load(append = false) {
  const body = $("log-body");
  $("log-error").hidden = true;
  let result;
  try {
    result = await getJSON("/logs", query(append && state.nextBefore ? { before_id: state.nextBefore } : {}));
  } catch (error) {
    $("log-error").hidden = false;
    $("log-error").textContent = error.message;
    return;
  }
  if (!append) body.replaceChildren();
  for (const log of result.logs) body.append(...row(log));
  if (!body.children.length) body.append(h("tr", {}, h("td", { colspan: 5, class: "muted center" }, t("noLogs"))));
  state.nextBefore = result.next_before_id;
  $("load-older").hidden = result.logs.length < PAGE;
  const url = new URL(location.href);
  url.search = new URLSearchParams(Object.entries({ source: state.source, status: state.status,
    q: state.q, range: state.range }).filter(([, v]) => v)).toString();
  history.replaceState(null, "", url);
}

async function loadSources() {
  const sources = await getJSON("/logs/sources");
  const select = $("source-filter");
  select.replaceChildren(h("option", { value: "" }, t("allSources")),
    ...sources.map((s) => h("option", { value: s, translate: "no" }, s)));
  select.value = state.source;
}

const statusSelect = $("status-filter");
statusSelect.replaceChildren(h("option", { value: "" }, t("allStatuses")),
  ...STATUSES.map((s) => h("option", { value: s, translate: "no" }, s)));
statusSelect.value = state.status;
statusSelect.addEventListener("change", () => { state.status = statusSelect.value; load(); });
$("source-filter").addEventListener("change", (event) => { state.source = event.target.value; load(); });
let typing = null;
$("text-filter").value = state.q;
$("text-filter").addEventListener("input", (event) => {
  clearTimeout(typing);
  typing = setTimeout(() => { state.q = event.target.value.trim(); load(); }, 300);
});
$("load-older").addEventListener("click", () => load(true));
$("refresh-now").addEventListener("click", () => { loadSources(); load(); });
timeControls(document.querySelector(".explorer-controls"), state, () => load());
await loadSources().catch(() => {});
await load();
document.body.dataset.ready = "1";
