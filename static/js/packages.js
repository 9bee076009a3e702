// Packages page: start a pip job (install, uninstall, a script set's requirements), follow its
// output live by polling the job, then refresh the installed list. A file of its own (no inline
// script under the Content-Security-Policy).
(function () {
  "use strict";
  const page = document.getElementById("packages-page");
  if (!page) return;
  const messages = JSON.parse(document.getElementById("pkg-messages").textContent);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const jobCard = document.getElementById("pkg-job");
  const output = document.getElementById("pkg-output");
  const status = document.getElementById("pkg-job-status");
  const summary = document.getElementById("pkg-job-summary");
  const title = document.getElementById("pkg-job-title");
  const installed = document.querySelector("#pkg-installed tbody");
  const canChange = page.dataset.canChange === "true";

  const buttons = () => page.querySelectorAll("#pkg-install, [data-uninstall], [data-install-set]");
  const setBusy = (busy) => buttons().forEach((b) => { b.disabled = busy; });

  async function api(method, path, body) {
    const response = await fetch(`/api/v1${path}`, {
      method,
      headers: { "X-CSRFToken": csrf, ...(body ? { "Content-Type": "application/json" } : {}) },
      credentials: "same-origin",
      body: body ? JSON.stringify(body) : undefined,
    });
    const data = await response.json();
    if (!response.ok) throw new Error(data.message || response.statusText);
    return data;
  }

  /** How the job ended, in the page's language when it succeeded (pip's own words if not). */
  function ending(job) {
    if (job.status !== "success") return job.summary || "";
    const text = job.action === "uninstall" ? messages.uninstalled : messages.installed;
    return text.replace("%(names)s", job.requested.join(", "));
  }

  function showStatus(job) {
    status.textContent = messages[job.status] || job.status;
    status.className = `badge ${job.status === "success" ? "badge-ok" : job.status === "failure" ? "badge-danger" : ""}`;
    summary.textContent = ending(job);
  }

  function renderInstalled(list) {
    installed.replaceChildren();
    if (!list.length) {
      const row = installed.insertRow();
      row.className = "empty";
      const cell = row.insertCell();
      cell.colSpan = 3;
      cell.className = "muted center";
      cell.textContent = messages.empty;
      return;
    }
    for (const pkg of list) {
      const row = installed.insertRow();
      row.dataset.package = pkg.name;
      for (const text of [pkg.name, pkg.version]) {
        const code = document.createElement("code");
        code.translate = false;
        code.textContent = text;
        row.insertCell().append(code);
      }
      const actions = row.insertCell();
      actions.className = "right";
      if (canChange) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "btn btn-small btn-danger";
        button.dataset.uninstall = pkg.name;
        button.textContent = messages.uninstall;
        actions.append(button);
      }
    }
  }

  async function follow(job) {
    jobCard.hidden = false;
    setBusy(true);
    title.textContent = job.action === "uninstall" ? messages.uninstallTitle : messages.installTitle;
    output.textContent = "";
    let offset = 0;
    try {
      for (;;) {
        const now = await api("GET", `/packages/jobs/${job.id}?offset=${offset}`);
        if (now.output) {
          const atBottom = output.scrollTop + output.clientHeight >= output.scrollHeight - 4;
          output.textContent += now.output;
          if (atBottom) output.scrollTop = output.scrollHeight;
        }
        offset = now.output_length;
        showStatus(now);
        if (now.status !== "running") {
          Funcpad.notify(ending(now), now.status === "success" ? "success" : "error");
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 400));
      }
      renderInstalled((await api("GET", "/packages")).installed);
    } finally {
      setBusy(false);
    }
  }

  async function start(path, body) {
    try {
      await follow(await api("POST", path, body));
    } catch (error) {
      Funcpad.notify(error.message, "error");
      setBusy(false);
    }
  }

  const form = document.getElementById("pkg-install-form");
  if (form) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      start("/packages/install", { packages: document.getElementById("pkg-requirements").value });
    });
  }
  page.addEventListener("click", async (event) => {
    const uninstall = event.target.closest("[data-uninstall]");
    const setButton = event.target.closest("[data-install-set]");
    if (uninstall) {
      const name = uninstall.dataset.uninstall;
      const ok = await Funcpad.confirm(messages.confirmUninstall.replace("%(name)s", name), {
        danger: true, confirmLabel: messages.uninstall,
      });
      if (ok) start("/packages/uninstall", { names: [name] });
    } else if (setButton) {
      start(`/script-sets/${encodeURIComponent(setButton.dataset.installSet)}/install-requirements`);
    }
  });
  if (jobCard.dataset.running) follow({ id: jobCard.dataset.running, action: "install" });
})();
