// Connectors page: show only the address fields of the chosen mode, and run connection tests
// in place. A file of its own (no inline script under the Content-Security-Policy).
(function () {
  "use strict";
  const messages = JSON.parse(document.getElementById("connector-messages").textContent);
  // Show the fields of the chosen type (and, for DataKit, of the chosen address mode).
  document.querySelectorAll("[data-connector-form]").forEach((form) => {
    const mode = form.querySelector("[data-mode-select]");
    const type = form.querySelector("[data-type-select]");
    const sync = () => form.querySelectorAll("[data-type], [data-mode]").forEach((el) => {
      const typeOk = !el.dataset.type || el.dataset.type === type.value;
      const modeOk = !el.dataset.mode || el.dataset.mode === mode.value;
      el.hidden = !(typeOk && modeOk);
      el.querySelectorAll("input, select").forEach((input) => { input.disabled = !typeOk; });
    });
    mode.addEventListener("change", sync);
    type.addEventListener("change", sync);
    sync();
  });
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  document.querySelectorAll("[data-test]").forEach((button) => {
    button.addEventListener("click", async () => {
      const out = document.querySelector(`[data-result="${button.dataset.test}"]`);
      out.className = "test-result";
      out.textContent = messages.testing;
      button.disabled = true;
      try {
        const response = await fetch(`/api/v1/connectors/${button.dataset.test}/test`, {
          method: "POST", headers: { "X-CSRFToken": csrf }, credentials: "same-origin",
        });
        const result = await response.json();
        out.classList.add(result.ok ? "test-ok" : "test-failed");
        out.textContent = result.ok
          ? `✓ ${result.detail} · ${result.latency_ms} ms`
          : `✗ ${result.detail || result.message}`;
      } catch (error) {
        out.classList.add("test-failed");
        out.textContent = `✗ ${error.message}`;
      } finally {
        button.disabled = false;
      }
    });
  });
})();
