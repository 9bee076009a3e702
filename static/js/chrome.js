// Page chrome shared by every page: theme toggle, drop-down menus, confirm-before-submit forms,
// copy buttons. Plain script (no bundle) so it works on pages that load nothing else.
(function () {
  "use strict";

  const root = document.documentElement;
  const toggle = document.getElementById("theme-toggle");
  if (toggle) {
    toggle.addEventListener("click", () => {
      const next = root.dataset.theme === "dark" ? "light" : "dark";
      root.dataset.theme = next;
      localStorage.setItem("funcpad.theme", next);
      window.dispatchEvent(new CustomEvent("funcpad:theme", { detail: next }));
    });
  }

  // <select data-submit-on-change>: filters that apply as soon as they change.
  document.addEventListener("change", (event) => {
    const field = event.target.closest("[data-submit-on-change]");
    if (field && field.form) field.form.submit();
  });

  document.addEventListener("click", (event) => {
    const button = event.target.closest(".menu-button");
    document.querySelectorAll(".menu.open").forEach((menu) => {
      if (!button || menu !== button.parentElement) menu.classList.remove("open");
    });
    if (button) button.parentElement.classList.toggle("open");

    const copy = event.target.closest("[data-copy]");
    if (copy) {
      const source = document.querySelector(copy.dataset.copy);
      navigator.clipboard?.writeText(source.textContent.trim());
      copy.classList.add("copied");
      setTimeout(() => copy.classList.remove("copied"), 1200);
    }
  });

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) event.preventDefault();
  });

  document.querySelectorAll(".flash").forEach((flash) => {
    setTimeout(() => flash.classList.add("fade"), 5000);
  });
})();
