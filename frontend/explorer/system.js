// System page: the platform's own history, from the figures it sends to its datakit connector
// (measurements funcpad_*), drawn with uPlot. The numbers above the charts come with the page.
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { TIME_TICKS, getJSON, t } from "./common.js";

const PALETTE = ["#2d6cdf", "#2f7d4f", "#c0392b", "#b7791f", "#7b4bb7"];
const STATUS_COLORS = { success: "#2f7d4f", failure: "#c0392b", other: "#b7791f" };

async function series(measurement, field) {
  // One-second buckets: the figures arrive every FUNCPAD_SELF_METRICS_SECONDS (30 s by default).
  const result = await getJSON("/metrics/query", { measurement, field, from: "-1h", max_points: 3600 });
  return { series: result.series, from: result.from, to: result.to };
}

function column(times, points) {
  const index = new Map(times.map((time, i) => [time, i]));
  const values = new Array(times.length).fill(null);
  for (const [time, value] of points) values[index.get(time)] = value;
  return values;
}

/** Cumulative run counts (one series per origin and status) as runs per minute by status. */
function runsPerMinute(runSeries) {
  const byStatus = new Map();
  for (const s of runSeries) {
    const status = ["success", "failure"].includes(s.tags.status) ? s.tags.status : "other";
    const totals = byStatus.get(status) ?? new Map();
    for (const [iso, value] of s.points) {
      const time = Date.parse(iso) / 1000;
      totals.set(time, (totals.get(time) ?? 0) + value);
    }
    byStatus.set(status, totals);
  }
  const out = [];
  for (const [status, totals] of [...byStatus].sort((a, b) => a[0].localeCompare(b[0]))) {
    const times = [...totals.keys()].sort((a, b) => a - b);
    const points = [];
    for (let i = 1; i < times.length; i += 1) {
      const minutes = (times[i] - times[i - 1]) / 60;
      points.push([times[i], Math.max(totals.get(times[i]) - totals.get(times[i - 1]), 0) / minutes]);
    }
    out.push({ label: status, points, stroke: STATUS_COLORS[status] });
  }
  return out;
}

function plain(found, labelOf) {
  return found.map((s) => ({
    label: labelOf(s.tags), points: s.points.map(([iso, value]) => [Date.parse(iso) / 1000, value]),
  }));
}

/** Series of one gauge (one per label set) added up into one line. */
function summed(found, label) {
  const totals = new Map();
  for (const s of found) {
    for (const [iso, value] of s.points) {
      const time = Date.parse(iso) / 1000;
      totals.set(time, (totals.get(time) ?? 0) + value);
    }
  }
  return [{ label, points: [...totals.entries()].sort((a, b) => a[0] - b[0]) }];
}

function draw(host, lines, range) {
  const times = [...new Set(lines.flatMap((l) => l.points.map((p) => p[0])))].sort((a, b) => a - b);
  host.replaceChildren();
  if (!times.length) {
    host.append(Object.assign(document.createElement("p"), { className: "muted center", textContent: t("noHistory") }));
    return;
  }
  const data = [times, ...lines.map((l) => column(times, l.points))];
  new uPlot({
    width: host.clientWidth || 480,
    height: 180,
    scales: { x: { time: true, range: () => range } },
    series: [{ label: t("time"), value: "{YYYY}-{MM}-{DD} {HH}:{mm}:{ss}" }, ...lines.map((l, i) => ({
      label: l.label, stroke: l.stroke ?? PALETTE[i % PALETTE.length], width: 1.6, spanGaps: true,
    }))],
    axes: [{ stroke: "#8d96a7", grid: { stroke: "rgba(128,128,128,0.15)" }, values: TIME_TICKS },
      { stroke: "#8d96a7", grid: { stroke: "rgba(128,128,128,0.15)" }, size: 50 }],
    legend: { live: false },
  }, data, host);
}

async function main() {
  const charts = [
    ["chart-runs", "funcpad_runs_total", "value", (s) => runsPerMinute(s)],
    ["chart-queue", "funcpad_queue_depth", "value", (s) => summed(s, t("queueDepth"))],
    ["chart-slots", "funcpad_runner_slots", "value",
      (s) => plain(s.filter((x) => x.tags.state === "busy"), () => t("busySlots"))],
    ["chart-lag", "funcpad_scheduler_lag_latest_seconds", "value", (s) => plain(s, () => t("schedulerLag"))],
  ];
  await Promise.all(charts.map(async ([id, measurement, field, shape]) => {
    const host = document.getElementById(id);
    try {
      const result = await series(measurement, field);
      draw(host, shape(result.series), [Date.parse(result.from) / 1000, Date.parse(result.to) / 1000]);
    } catch (error) {
      host.textContent = error.message;
    }
  }));
  document.body.dataset.ready = "1";
}

main();
