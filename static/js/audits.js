// Checklist autosave: every answer saves as soon as it changes. A save that fails (no network,
// server error) is shown as "Not saved" and retried with back-off until it succeeds; a conflict
// (someone else saved first) or a refused value is shown and waits for the auditor.
(function () {
  const MAX_DELAY = 30000;

  function stateOf(form) {
    return form.querySelector(".save-state");
  }

  function setState(form, cls, text) {
    const el = stateOf(form);
    if (!el) return;
    el.classList.remove("saved", "saving", "not-saved");
    el.classList.add(cls);
    el.textContent = text;
  }

  document.addEventListener("htmx:beforeSwap", (event) => {
    const status = event.detail.xhr.status;
    if (status === 409 || status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("htmx:beforeRequest", (event) => {
    const form = event.detail.elt;
    if (!form.classList || !form.classList.contains("answer-form")) return;
    form.dataset.dirty = "1";
    setState(form, "saving", "Saving…");
  });

  document.addEventListener("htmx:afterRequest", (event) => {
    const form = event.detail.elt;
    if (!form.classList || !form.classList.contains("answer-form")) return;
    const status = event.detail.xhr ? event.detail.xhr.status : 0;
    if (status >= 200 && status < 300) {
      delete form.dataset.dirty;
      form.dataset.retries = "0";
      return;
    }
    if (status === 409 || status === 422 || status === 403) {
      // A conflict or a refused value: shown in the page, the auditor decides.
      return;
    }
    const retries = Number(form.dataset.retries || "0") + 1;
    form.dataset.retries = String(retries);
    const delay = Math.min(1000 * 2 ** (retries - 1), MAX_DELAY);
    setState(form, "not-saved", "Not saved (" + (status ? "server error " + status : "no connection") +
      "). Retrying in " + Math.round(delay / 1000) + " s…");
    setTimeout(() => htmx.trigger(form, "retry"), delay);
  });

  document.addEventListener("click", (event) => {
    const button = event.target.closest(".use-mine");
    if (!button) return;
    const form = button.closest("form.answer-form");
    form.querySelector("input[name=version]").value = button.dataset.version;
    form.querySelector(".conflict").innerHTML = "";
    htmx.trigger(form, "retry");
  });

  window.addEventListener("beforeunload", (event) => {
    if (document.querySelector("form.answer-form[data-dirty]")) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
})();
