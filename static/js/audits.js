// Checklist autosave: every answer saves as soon as it changes. A save that fails (no network,
// server error) is shown as "Not saved" and retried with back-off until it succeeds, and at once
// when the connection returns; a conflict (someone else saved first) or a refused value is shown
// and waits for the auditor. Until the server has an answer, it is kept in this browser's
// storage, so closing the tab or losing the connection loses nothing.
(function () {
  const MAX_DELAY = 30000;
  const timers = new Map();

  function isAnswerForm(form) {
    return form && form.classList && form.classList.contains("answer-form");
  }

  function draftKey(form) {
    return "cmoselect:answer:" + form.getAttribute("action");
  }

  function valueOf(form) {
    const checked = form.querySelector("[name=value]:checked");
    if (checked) return checked.value;
    const field = form.querySelector("[name=value]:not([type=radio])");
    return field ? field.value : "";
  }

  function commentOf(form) {
    const field = form.querySelector("[name=comment]");
    return field ? field.value : "";
  }

  function versionOf(form) {
    return form.querySelector("input[name=version]").value;
  }

  function keepDraft(form) {
    try {
      const draft = { value: valueOf(form), comment: commentOf(form), version: versionOf(form) };
      localStorage.setItem(draftKey(form), JSON.stringify(draft));
    } catch (e) {
      // Storage full or disabled: the save itself still goes ahead.
    }
  }

  function dropDraft(form) {
    try {
      localStorage.removeItem(draftKey(form));
    } catch (e) {}
  }

  function readDraft(form) {
    try {
      return JSON.parse(localStorage.getItem(draftKey(form)) || "null");
    } catch (e) {
      return null;
    }
  }

  function setState(form, cls, text) {
    const el = form.querySelector(".save-state");
    if (!el) return;
    el.classList.remove("saved", "saving", "not-saved");
    el.classList.add(cls);
    el.textContent = text;
  }

  function retryNow(form) {
    clearTimeout(timers.get(form));
    timers.delete(form);
    htmx.trigger(form, "retry");
  }

  function showOffline(offline) {
    const banner = document.getElementById("offline-banner");
    if (banner) banner.hidden = !offline;
  }

  document.addEventListener("htmx:beforeSwap", (event) => {
    const status = event.detail.xhr.status;
    if (status === 409 || status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // Kept on every keystroke and click, before the (debounced) save is sent.
  ["input", "change"].forEach((type) =>
    document.addEventListener(type, (event) => {
      const form = event.target.closest && event.target.closest("form.answer-form");
      if (isAnswerForm(form) && form.hasAttribute("hx-post")) {
        form.dataset.dirty = "1";
        keepDraft(form);
        // A choice is sent after a short pause (so arrow keys save once): say so meanwhile.
        if (type === "change") setState(form, "saving", "Saving…");
      }
    }),
  );

  document.addEventListener("htmx:beforeRequest", (event) => {
    const form = event.detail.elt;
    if (!isAnswerForm(form)) return;
    form.dataset.dirty = "1";
    form.dataset.sent = JSON.stringify([valueOf(form), commentOf(form)]);
    setState(form, "saving", "Saving…");
  });

  document.addEventListener("htmx:afterRequest", (event) => {
    const form = event.detail.elt;
    if (!isAnswerForm(form)) return;
    const status = event.detail.xhr ? event.detail.xhr.status : 0;
    if (status >= 200 && status < 300) {
      delete form.dataset.dirty;
      form.dataset.retries = "0";
      timers.delete(form);
      // Typed on while the save was on its way: that newer text is still to be sent.
      if (form.dataset.sent === JSON.stringify([valueOf(form), commentOf(form)])) dropDraft(form);
      else keepDraft(form);
      return;
    }
    if (status === 409 || status === 422 || status === 403) {
      // A conflict or a refused value: shown in the page, the auditor decides.
      return;
    }
    const retries = Number(form.dataset.retries || "0") + 1;
    form.dataset.retries = String(retries);
    const delay = Math.min(1000 * 2 ** (retries - 1), MAX_DELAY);
    const reason = status ? "server error " + status : "no connection";
    setState(form, "not-saved", "Not saved (" + reason + "; kept on this device). Retrying in " +
      Math.round(delay / 1000) + " s…");
    clearTimeout(timers.get(form));
    timers.set(form, setTimeout(() => retryNow(form), delay));
    if (!status) showOffline(!navigator.onLine);
  });

  window.addEventListener("offline", () => showOffline(true));
  window.addEventListener("online", () => {
    showOffline(false);
    // The connection is back: send what failed now rather than when its back-off ends.
    for (const form of Array.from(timers.keys())) retryNow(form);
  });

  document.addEventListener("click", (event) => {
    const mine = event.target.closest(".use-mine");
    if (mine) {
      const form = mine.closest("form.answer-form");
      form.querySelector("input[name=version]").value = mine.dataset.version;
      form.querySelector(".conflict").innerHTML = "";
      retryNow(form);
      return;
    }
    const theirs = event.target.closest(".keep-theirs");
    if (theirs) {
      const form = theirs.closest("form.answer-form");
      delete form.dataset.dirty;
      dropDraft(form);
    }
  });

  // An answer kept on this device but never saved (tab closed, connection lost) goes back into
  // its form and is sent again. It carries the version it was made from, so if someone saved
  // since, the server answers with a conflict and the auditor chooses.
  function restoreDrafts() {
    document.querySelectorAll("form.answer-form[hx-post]").forEach((form) => {
      const draft = readDraft(form);
      if (!draft) return;
      if (draft.value === valueOf(form) && draft.comment === commentOf(form)) {
        dropDraft(form);
        return;
      }
      form.querySelector("input[name=version]").value = draft.version;
      form.querySelectorAll("[name=value]").forEach((field) => {
        if (field.type === "radio") field.checked = field.value === draft.value;
        else field.value = draft.value;
      });
      const comment = form.querySelector("[name=comment]");
      if (comment) comment.value = draft.comment;
      form.dataset.dirty = "1";
      setState(form, "not-saved", "Not saved yet (kept on this device). Sending…");
      retryNow(form);
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    showOffline(!navigator.onLine);
    restoreDrafts();
  });

  window.addEventListener("beforeunload", (event) => {
    if (document.querySelector("form.answer-form[data-dirty]")) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
})();
