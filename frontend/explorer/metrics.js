// Metrics explorer: pick a measurement, fields and tag values, a time range; see a uPlot chart
// (one line per field and tag combination, values on hover) and the latest points.
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { TIME_TICKS, formatTime, getJSON, h, rangeParams, t, timeControls } from "./common.js";

const PALETTE = ["#4f6bed", "#1f9d6b", "#e8833a", "#d64545", "#8e5cd9", "#2fa7c4", "#c7a100",
  "#e05fa7", "#5b7083", "#7fb800"];
const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const state = {
  measurements: [],
  measurement: params.get("measurement"),
  fields: new Set(params.getAll("field")),
  tagValues: {},
  filters: {}, // tag key -> Set of selected values (absent: all)
  range: params.get("range") || "1h",
  customFrom: "",
  customTo: "",
};
let chart = null;

function seriesLabel(s) {
  const tags = Object.entries(s.tags).filter(([k]) => k !== "host" || Object.keys(s.tags).length === 1)
    .map(([k, v]) => `${k}=${v}`).join(", ");
  return tags ? `${s.field} {${tags}}` : s.field;
}

async function loadMeasurements() {
  state.measurements = await getJSON("/metrics/measurements");
  const list = $("measurement-list");
  list.replaceChildren();
  if (!state.measurements.length) {
    list.append(h("li", { class: "empty" }, t("noMeasurements")));
    $("chart-empty").hidden = false;
    return;
  }
  if (!state.measurements.some((m) => m.measurement === state.measurement)) {
    state.measurement = state.measurements[0].measurement;
  }
  for (const m of state.measurements) {
    list.append(h("li", {},
      h("a", {
        href: `?measurement=${encodeURIComponent(m.measurement)}`,
        class: `measurement-item${m.measurement === state.measurement ? " active" : ""}`,
        "data-measurement": m.measurement,
        onclick: (event) => { event.preventDefault(); selectMeasurement(m.measurement); },
      }, h("span", { class: "measurement-name" }, m.measurement),
      h("span", { class: "muted small" }, (m.fields.length === 1 ? t("fieldsOne") : t("fieldsCount", { n: m.fields.length }))))));
  }
  await selectMeasurement(state.measurement, true);
}

async function selectMeasurement(name, keepFields = false) {
  state.measurement = name;
  document.querySelectorAll(".measurement-item").forEach((a) =>
    a.classList.toggle("active", a.dataset.measurement === name));
  const info = state.measurements.find((m) => m.measurement === name);
  if (!keepFields || ![...state.fields].every((f) => info.fields.includes(f)) || !state.fields.size) {
    state.fields = new Set([info.fields[0]]);
  }
  state.tagValues = await getJSON("/metrics/tags", { measurement: name });
  state.filters = {};
  renderPickers(info);
  await refresh();
}

function renderPickers(info) {
  const fields = $("field-picker");
  fields.replaceChildren(...info.fields.map((field) => h("label", { class: "chip" },
    h("input", {
      type: "checkbox", value: field, checked: state.fields.has(field) ? true : undefined,
      onchange: (event) => {
        if (event.target.checked) state.fields.add(field);
        else state.fields.delete(field);
        refresh();
      },
    }), field)));
  const tags = $("tag-picker");
  tags.replaceChildren();
  for (const [key, values] of Object.entries(state.tagValues)) {
    tags.append(h("div", { class: "tag-group" }, h("span", { class: "tag-key" }, key),
      ...values.map((value) => h("label", { class: "chip" },
        h("input", {
          type: "checkbox", checked: true, "data-tag": key, value,
          onchange: () => {
            const checked = [...tags.querySelectorAll(`input[data-tag="${CSS.escape(key)}"]`)]
              .filter((i) => i.checked).map((i) => i.value);
            if (checked.length === values.length) delete state.filters[key];
            else state.filters[key] = new Set(checked);
            refresh();
          },
        }), value))));
  }
}

async function refresh() {
  if (!state.measurement || !state.fields.size) return;
  const query = {
    measurement: state.measurement,
    field: [...state.fields],
    max_points: 600,
    ...rangeParams(state.range, state.customFrom, state.customTo),
  };
  for (const [key, values] of Object.entries(state.filters)) query[`tag.${key}`] = [...values];
  const url = new URL(location.href);
  url.search = new URLSearchParams({ measurement: state.measurement, range: state.range }).toString();
  history.replaceState(null, "", url);
  $("chart-error").hidden = true;
  let result;
  try {
    result = await getJSON("/metrics/query", query);
  } catch (error) {
    $("chart-error").hidden = false;
    $("chart-error").textContent = error.message;
    return;
  }
  draw(result.series, result.from, result.to);
  renderLatest(result.series);
}

function draw(series, from, to) {
  const host = $("chart");
  $("chart-empty").hidden = series.length > 0;
  const times = [...new Set(series.flatMap((s) => s.points.map((p) => Date.parse(p[0]) / 1000)))]
    .sort((a, b) => a - b);
  const index = new Map(times.map((time, i) => [time, i]));
  const data = [times];
  for (const s of series) {
    const column = new Array(times.length).fill(null);
    for (const [time, value] of s.points) column[index.get(Date.parse(time) / 1000)] = value;
    data.push(column);
  }
  const opts = {
    width: host.clientWidth || 800,
    height: 340,
    scales: { x: { time: true, range: () => [Date.parse(from) / 1000, Date.parse(to) / 1000] } },
    series: [{ label: t("time"), value: "{YYYY}-{MM}-{DD} {HH}:{mm}:{ss}" }, ...series.map((s, i) => ({
      label: seriesLabel(s), stroke: PALETTE[i % PALETTE.length], width: 1.6, spanGaps: true,
      points: { show: s.points.length < 80 },
    }))],
    axes: [{ stroke: "#8d96a7", grid: { stroke: "rgba(128,128,128,0.15)" }, values: TIME_TICKS },
      { stroke: "#8d96a7", grid: { stroke: "rgba(128,128,128,0.15)" }, size: 60 }],
    legend: { live: true },
    cursor: { drag: { x: true, y: false } },
  };
  chart?.destroy();
  host.replaceChildren();
  chart = new uPlot(opts, data, host);
}

function renderLatest(series) {
  const body = $("latest-body");
  body.replaceChildren();
  const rows = series.map((s) => ({ label: seriesLabel(s), last: s.points[s.points.length - 1] }))
    .filter((r) => r.last).sort((a, b) => Date.parse(b.last[0]) - Date.parse(a.last[0]));
  for (const row of rows) {
    body.append(h("tr", {}, h("td", {}, h("code", {}, row.label)),
      h("td", {}, formatTime(row.last[0])), h("td", { class: "num" }, String(row.last[1]))));
  }
  if (!rows.length) body.append(h("tr", {}, h("td", { colspan: 3, class: "muted center" }, t("noData"))));
}

window.addEventListener("resize", () => chart?.setSize({ width: $("chart").clientWidth, height: 340 }));
timeControls(document.querySelector(".explorer-controls"), state, refresh);
$("refresh-now").addEventListener("click", () => loadMeasurements());
await loadMeasurements().catch((error) => {
  $("chart-error").hidden = false;
  $("chart-error").textContent = error.message;
});
document.body.dataset.ready = "1";
