// Cron job list: search, enable switches, Run now, delete, bulk enable/disable, pause all;
// the next/last run columns refresh by themselves (every 20 s and when the tab is shown).
(function () {
  "use strict";
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const messages = JSON.parse(document.getElementById("crontab-messages").textContent);
  const t = (key, params = {}) => messages[key].replace(/%\((\w+)\)s/g, (_, k) => params[k]);
  const { confirm, notify, format } = window.Funcpad;
  const call = async (method, path, body) => {
    const response = await fetch(`/api/v1${path}`, {
      method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    const data = text ? JSON.parse(text) : null;
    if (!response.ok) throw new Error((data && data.message) || `HTTP ${response.status}`);
    return data;
  };
  const rowOf = (id) => document.querySelector(`#job-table tbody tr[data-id="${CSS.escape(id)}"]`);

  /** Put a job's current state (from the API) into its row. */
  function fill(job) {
    const row = rowOf(job.id);
    if (!row) return;
    row.querySelector(".job-next").textContent = format.time(job.next_run_at);
    row.querySelector(".job-enabled").checked = job.enabled;
    const cell = row.querySelector(".job-last");
    cell.replaceChildren();
    if (!job.last_run) {
      const none = document.createElement("span");
      none.className = "muted";
      none.textContent = "—";
      cell.append(none);
      return;
    }
    const link = document.createElement("a");
    link.href = `/tasks/${encodeURIComponent(job.last_run.task_id)}`;
    const level = document.createElement("span");
    level.className = `level level-${format.statusLevel(job.last_run.status)}`;
    level.dataset.status = job.last_run.status;
    level.textContent = format.status(job.last_run.status);
    link.append(level);
    const at = document.createElement("span");
    at.className = "job-last-at";
    at.textContent = format.time(job.last_run.at);
    cell.append(link, " ", at);
  }

  async function refresh() {
    try {
      (await call("GET", "/crontab-configs")).forEach(fill);
    } catch (error) { /* the next refresh tries again; a saved change reports its own error */ }
  }
  setInterval(() => { if (!document.hidden) refresh(); }, 20000);
  document.addEventListener("visibilitychange", () => { if (!document.hidden) refresh(); });

  document.getElementById("job-search").addEventListener("input", (event) => {
    const q = event.target.value.trim().toLowerCase();
    document.querySelectorAll("#job-table tbody tr[data-id]").forEach((row) => {
      row.hidden = q && !row.dataset.search.includes(q);
    });
  });
  document.getElementById("select-all").addEventListener("change", (event) => {
    document.querySelectorAll(".job-select").forEach((box) => { box.checked = event.target.checked; });
  });

  document.querySelectorAll("#job-table tbody tr[data-id]").forEach((row) => {
    const id = row.dataset.id;
    row.querySelector(".job-enabled")?.addEventListener("change", async (event) => {
      try {
        fill(await call("PATCH", `/crontab-configs/${id}`, { enabled: event.target.checked }));
        notify(t(event.target.checked ? "enabledOn" : "enabledOff", { id }), "success");
      } catch (error) { notify(error.message, "error"); event.target.checked = !event.target.checked; }
    });
    row.querySelector(".job-run")?.addEventListener("click", async (event) => {
      const button = event.currentTarget;
      button.disabled = true;
      try {
        const result = await call("POST", `/crontab-configs/${id}/run`);
        notify(t("ran", { status: format.status(result.status) }),
          result.status === "success" ? "success" : "error");
        await refresh();
      } catch (error) { notify(error.message, "error"); }
      button.disabled = false;
    });
    row.querySelector(".job-delete")?.addEventListener("click", async () => {
      if (!(await confirm(t("confirmDelete", { id }), { danger: true, confirmLabel: t("delete") }))) return;
      try {
        await call("DELETE", `/crontab-configs/${id}`);
        row.remove();
        notify(t("deleted", { id }), "success");
      } catch (error) { notify(error.message, "error"); }
    });
  });

  document.querySelectorAll("[data-bulk]").forEach((button) => button.addEventListener("click", async () => {
    const ids = [...document.querySelectorAll(".job-select:checked")].map((box) => box.value);
    if (!ids.length) {
      notify(t("selectFirst"), "info");
      return;
    }
    try {
      const { changed } = await call("POST", "/crontab-configs/bulk",
        { ids, enabled: button.dataset.bulk === "true" });
      notify(t("bulkDone", { n: changed.length }), "success");
      await refresh();
    } catch (error) { notify(error.message, "error"); }
  }));

  const showPause = (state) => {
    document.getElementById("pause-state").textContent =
      state.paused ? t("pausedUntil", { time: format.time(state.until) }) : "";
    document.getElementById("resume-all").hidden = !state.paused;
  };
  call("GET", "/crontab/pause").then(showPause).catch(() => {});
  document.getElementById("pause-all").addEventListener("click", async () => {
    try {
      const state = await call("PUT", "/crontab/pause",
        { minutes: Number(document.getElementById("pause-minutes").value) });
      showPause(state);
      notify(t("paused", { time: format.time(state.until) }), "success");
    } catch (error) { notify(error.message, "error"); }
  });
  document.getElementById("resume-all").addEventListener("click", async () => {
    try {
      showPause(await call("PUT", "/crontab/pause", { minutes: 0 }));
      notify(t("resumed"), "success");
    } catch (error) { notify(error.message, "error"); }
  });
})();
