// Cron job list: search, enable switches, Run now, delete, bulk enable/disable, pause all.
(function () {
  "use strict";
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const messages = JSON.parse(document.getElementById("crontab-messages").textContent);
  const t = (key, params = {}) => messages[key].replace(/%\((\w+)\)s/g, (_, k) => params[k]);
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
        await call("PATCH", `/crontab-configs/${id}`, { enabled: event.target.checked });
        location.reload();
      } catch (error) { alert(error.message); event.target.checked = !event.target.checked; }
    });
    row.querySelector(".job-run")?.addEventListener("click", async (event) => {
      event.target.disabled = true;
      try {
        const result = await call("POST", `/crontab-configs/${id}/run`);
        event.target.textContent = t("ran", { status: result.status });
        setTimeout(() => location.reload(), 800);
      } catch (error) { alert(error.message); event.target.disabled = false; }
    });
    row.querySelector(".job-delete")?.addEventListener("click", async () => {
      if (!confirm(t("confirmDelete", { id }))) return;
      await call("DELETE", `/crontab-configs/${id}`);
      row.remove();
    });
  });

  document.querySelectorAll("[data-bulk]").forEach((button) => button.addEventListener("click", async () => {
    const ids = [...document.querySelectorAll(".job-select:checked")].map((box) => box.value);
    if (!ids.length) return;
    try {
      await call("POST", "/crontab-configs/bulk", { ids, enabled: button.dataset.bulk === "true" });
      location.reload();
    } catch (error) { alert(error.message); }
  }));

  const showPause = (state) => {
    document.getElementById("pause-state").textContent =
      state.paused ? t("pausedUntil", { time: state.until.slice(0, 19).replace("T", " ") }) : "";
    document.getElementById("resume-all").hidden = !state.paused;
  };
  call("GET", "/crontab/pause").then(showPause).catch(() => {});
  document.getElementById("pause-all").addEventListener("click", async () => {
    showPause(await call("PUT", "/crontab/pause",
      { minutes: Number(document.getElementById("pause-minutes").value) }));
  });
  document.getElementById("resume-all").addEventListener("click", async () => {
    showPause(await call("PUT", "/crontab/pause", { minutes: 0 }));
  });
})();
