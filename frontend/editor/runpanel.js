// Running the draft: the function picker, the kwargs box, the live output panel and Stop.
import { h } from "./dom.js";
import { t } from "./i18n.js";

const csrfToken = document.querySelector('meta[name="csrf-token"]').content;

const format = () => window.Funcpad.format;

/** `[MM-DD HH:MM:SS] [+Δms] [total ms]`, the line prefix users know from DataFlux Func (the
 *  same text as on the task record: Funcpad.format.logPrefix). */
export function logPrefix(time, previous, start) {
  return format().logPrefix(time, previous, start);
}

// The panel keeps this many lines in the page (the newest); the task record has them all.
export const MAX_RENDERED_LINES = 2000;

/** Default kwargs from a signature: defaults as they are, required arguments as null. */
export function kwargsTemplate(func) {
  const out = {};
  for (const arg of func.args) out[arg.name] = arg.has_default ? arg.default : null;
  return out;
}

function pyLiteral(value) {
  if (value === null) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  return JSON.stringify(value);
}

export function callLine(func, kwargs) {
  const args = Object.entries(kwargs).map(([k, v]) => `${k}=${pyLiteral(v)}`).join(", ");
  return `${func}(${args})`;
}

/** Parse SSE blocks out of a fetch() body stream, calling onEvent(name, data). */
async function readEvents(response, onEvent) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let name = "message";
      let data = "";
      for (const line of block.split("\n")) {
        if (line.startsWith("event: ")) name = line.slice(7);
        else if (line.startsWith("data: ")) data += line.slice(6);
      }
      if (data) onEvent(name, JSON.parse(data));
    }
  }
}

export class RunPanel {
  constructor({ body, status, onErrorLine, onKwargsError = () => {}, writesPoints = () => false }) {
    this.onKwargsError = onKwargsError;
    this.writesPoints = writesPoints;
    this.body = body;
    this.status = status;
    this.onErrorLine = onErrorLine;
    this.controller = null;
    this.taskId = null;
    this.pending = [];
    this.hidden = 0;
    this.frame = null;
    this.timer = null;
  }

  get running() {
    return this.controller !== null;
  }

  /** Empty the panel; during a run, only the lines so far (new ones keep coming). */
  clear() {
    this.pending = [];
    this.hidden = 0;
    if (this.running && this.logs) {
      this.logs.replaceChildren();
      this.notice.hidden = true;
      return;
    }
    this.body.replaceChildren(h("p.output-empty", {}, t("runHint")));
    this.status.textContent = "";
    this.status.className = "output-status";
  }

  setStatus(kind, text) {
    this.status.className = `output-status output-status-${kind}`;
    this.status.textContent = text;
  }

  taskLink(id) {
    return h("a.task-link#task-link", { href: `/tasks/${encodeURIComponent(id)}` },
      t("taskId", { id: id.slice(0, 8) }));
  }

  /** Lines arrive faster than the page can draw: queue them and draw once per frame. */
  queue(prefix, message) {
    this.pending.push([prefix, message]);
    if (this.pending.length > MAX_RENDERED_LINES) {
      this.hidden += this.pending.length - MAX_RENDERED_LINES;
      this.pending.splice(0, this.pending.length - MAX_RENDERED_LINES);
    }
    if (this.frame === null) this.frame = requestAnimationFrame(() => this.flush());
  }

  flush() {
    this.frame = null;
    if (!this.pending.length || !this.logs) return;
    const stick = this.body.scrollHeight - this.body.scrollTop - this.body.clientHeight < 40;
    const fragment = document.createDocumentFragment();
    for (const [prefix, message] of this.pending) {
      const line = document.createElement("div");
      line.className = "log-line";
      const span = document.createElement("span");
      span.className = "log-prefix";
      span.textContent = prefix;
      line.append(span, " ", message);
      fragment.append(line);
    }
    this.pending = [];
    this.logs.append(fragment);
    const extra = this.logs.childElementCount - MAX_RENDERED_LINES;
    for (let i = 0; i < extra; i += 1) this.logs.firstElementChild.remove();
    if (extra > 0) this.hidden += extra;
    if (this.hidden) {
      this.notice.hidden = false;
      this.notice.replaceChildren(t("earlierLines", { n: this.hidden.toLocaleString() }), " ");
      if (this.taskId) this.notice.append(h("a", { href: `/tasks/${this.taskId}` }, t("openRecord")));
    }
    if (stick) this.body.scrollTop = this.body.scrollHeight;
  }

  startTimer(startedAt) {
    const tick = () => this.setStatus("running",
      `${t("running")} ${format().duration(Date.now() - startedAt)}`);
    tick();
    this.timer = setInterval(tick, 100);
  }

  stopTimer() {
    clearInterval(this.timer);
    this.timer = null;
  }

  /** Run `func(**kwargs)` of script `scriptId`'s saved draft, streaming into the panel. */
  async run(scriptId, func, kwargs) {
    this.body.replaceChildren();
    this.pending = [];
    this.hidden = 0;
    const call = h("div.output-call", { translate: "no" }, h("span.output-prompt", {}, "›"),
      callLine(func, kwargs));
    this.notice = h("div.output-note.output-earlier#output-earlier", { hidden: true });
    this.logs = h("div.output-logs");
    this.body.append(call, this.notice, this.logs);
    this.controller = new AbortController();
    this.taskId = null;
    const clickedAt = Date.now();
    this.startTimer(clickedAt);
    let start = null;
    let previous = null;
    let result = null;
    try {
      const response = await fetch(`/api/v1/scripts/${scriptId}/run`, {
        method: "POST",
        headers: {
          "Content-Type": "application/json", Accept: "text/event-stream", "X-CSRFToken": csrfToken,
        },
        body: JSON.stringify({ func, kwargs }),
        signal: this.controller.signal,
        credentials: "same-origin",
      });
      if (!response.ok) {
        const body = await response.json().catch(() => ({}));
        throw Object.assign(new Error(body.message || `HTTP ${response.status}`), { body });
      }
      await readEvents(response, (name, data) => {
        if (name === "start") {
          this.taskId = data.task_id;
          start = new Date(data.started_at);
          previous = start;
        } else if (name === "log") {
          const at = new Date(data.time);
          this.queue(logPrefix(at, previous, start), data.message);
          previous = at;
        } else if (name === "result") {
          result = data;
        }
      });
    } catch (error) {
      this.stopTimer();
      this.flush();
      if (error.name === "AbortError") {
        this.setStatus("failure", t("stopped"));
        const facts = [t("stoppedAfter", { duration: format().duration(Date.now() - clickedAt) })];
        const box = h("div.output-error", {}, t("stoppedDetail"));
        const line = h("div.output-facts", {}, facts.join(" · "));
        if (this.taskId) line.append(" · ", this.taskLink(this.taskId));
        this.body.append(box, line);
        return null;
      }
      this.setStatus("failure", t("runFailed"));
      if (error.body?.field?.startsWith("kwargs")) {
        // Said once, next to the arguments it is about.
        this.onKwargsError(error.message);
        this.body.replaceChildren(h("p.output-empty", {}, t("fixArguments")));
      } else {
        this.body.append(h("div.output-error", {}, error.message));
      }
      return null;
    } finally {
      this.stopTimer();
      this.controller = null;
    }
    if (this.frame !== null) cancelAnimationFrame(this.frame);
    this.flush();
    if (result) this.showResult(result);
    return result;
  }

  stop() {
    if (!this.controller) return;
    if (this.taskId) {
      fetch(`/api/v1/task-records/${this.taskId}/stop`, {
        method: "POST", headers: { "X-CSRFToken": csrfToken }, credentials: "same-origin",
      }).catch(() => {});
    }
    this.controller.abort();
  }

  showResult(result) {
    const labels = { success: t("statusSuccess"), failure: t("statusFailure"), timeout: t("statusTimeout") };
    this.setStatus(result.status, labels[result.status] || result.status);
    if (result.log_truncated) this.body.append(h("div.output-note", {}, t("logTruncated")));
    if (result.error) {
      const error = result.error;
      const box = h("div.output-error");
      box.append(h("div.output-error-title", {}, `${error.type}: ${error.message}`));
      if (error.traceback) {
        const pre = h("pre.output-traceback");
        for (const line of error.traceback.split("\n")) {
          const match = line.match(/^(\s*File "<[^>]+>", line )(\d+)(.*)$/);
          if (match) {
            pre.append(match[1], h("a.error-line-link", {
              href: "#", "data-line": match[2],
              onclick: (event) => { event.preventDefault(); this.onErrorLine(Number(match[2])); },
            }, match[2]), match[3], "\n");
          } else {
            pre.append(line, "\n");
          }
        }
        box.append(pre);
      }
      if (error.line) {
        box.append(h("a.btn.btn-small.error-jump", {
          href: "#", id: "error-jump",
          onclick: (event) => { event.preventDefault(); this.onErrorLine(error.line); },
        }, t("goToLine", { line: error.line })));
        this.onErrorLine(error.line, false);
      }
      this.body.append(box);
    } else {
      // The same rendering as the task record and the API: JSON.
      this.body.append(h("div.output-section-title", {}, t("returnValue")),
        h("pre.output-return#return-value", {}, format().value(result.return_value)));
    }
    const facts = [
      result.duration_ms != null ? t("duration", { duration: format().duration(result.duration_ms) }) : null,
      result.peak_memory_kb != null ? t("peakMemory", { mb: (result.peak_memory_kb / 1024).toFixed(1) }) : null,
    ].filter(Boolean);
    const factsLine = h("div.output-facts", {}, facts.join(" · "), " · ", this.taskLink(result.task_id));
    if (this.writesPoints()) {
      // The script writes through a connector: offer the views where its points show up.
      factsLine.append(" · ", h("a#open-metrics", { href: "/explore/metrics" }, t("openMetrics")),
        " · ", h("a#open-logs", { href: "/logs" }, t("openLogs")));
    }
    this.body.append(factsLine);
    this.body.scrollTop = this.body.scrollHeight;
  }
}
