// Small progressive enhancements; every page works without them.
document.addEventListener("htmx:responseError", (event) => {
  const target = document.getElementById("htmx-error");
  if (target) {
    target.textContent = "The server could not complete that request (" + event.detail.xhr.status + "). Please retry.";
    target.hidden = false;
  }
});
document.addEventListener("htmx:sendError", () => {
  const target = document.getElementById("htmx-error");
  if (target) {
    target.textContent = "No connection to the server. Your last change was not sent.";
    target.hidden = false;
  }
});
// Capability matrix: a cell swapped open (or closed again) keeps the keyboard where it was, on
// the cell's level or its button, rather than dropping focus to the top of the page.
(function () {
  let focusedCell = null;
  document.addEventListener("htmx:beforeSwap", (event) => {
    const target = event.detail.target;
    const cell = target && target.closest && target.closest("table.matrix td[id^=cell-]");
    focusedCell = cell && cell.contains(document.activeElement) ? cell.id : null;
  });
  document.addEventListener("htmx:afterSettle", () => {
    if (!focusedCell) return;
    const cell = document.getElementById(focusedCell);
    focusedCell = null;
    const control = cell && cell.querySelector("select, button");
    if (control) control.focus();
  });
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    const cell = event.target.closest && event.target.closest("table.matrix td.editing");
    const cancel = cell && cell.querySelector("button[type=button]");
    if (cancel) cancel.click();
  });
})();
// Capability matrix: an open cell editor floats beside its cell (below it, or above when there is
// no room), following it as the page or the matrix scrolls.
(function () {
  function place(editor) {
    const cell = editor.closest("td");
    if (!cell) return;
    const box = cell.getBoundingClientRect();
    const width = editor.offsetWidth;
    const height = editor.offsetHeight;
    const left = Math.max(4, Math.min(box.left, window.innerWidth - width - 4));
    const below = box.bottom + 2;
    const top = below + height > window.innerHeight && box.top - height - 2 > 0 ? box.top - height - 2 : below;
    editor.style.left = left + "px";
    editor.style.top = top + "px";
  }
  function placeAll() {
    document.querySelectorAll("table.matrix form.cell-editor").forEach(place);
  }
  // Several editors may be open at once: the one opened or used last is on top.
  let layer = 20;
  function raise(event) {
    const editor = event.target.closest && event.target.closest("table.matrix form.cell-editor");
    if (editor) editor.style.zIndex = ++layer;
  }
  document.addEventListener("htmx:load", (event) => {
    const editor = event.detail.elt.querySelector && event.detail.elt.querySelector("form.cell-editor");
    if (editor) editor.style.zIndex = ++layer;
    placeAll();
  });
  document.addEventListener("focusin", raise);
  document.addEventListener("pointerdown", raise);
  document.addEventListener("scroll", placeAll, true);
  window.addEventListener("resize", placeAll);
})();
// Checkbox filters: the closed dropdown names what is chosen.
document.addEventListener("change", (event) => {
  const box = event.target;
  const dropdown = box.closest && box.closest(".check-filter details");
  if (!dropdown) return;
  const names = Array.from(dropdown.querySelectorAll("input:checked"), (input) =>
    input.parentElement.textContent.trim(),
  );
  dropdown.querySelector(".chosen").textContent = names.join(", ") || "Any";
});
// A click outside an open filter dropdown closes it, as a select would.
document.addEventListener("click", (event) => {
  document.querySelectorAll(".check-filter details[open]").forEach((dropdown) => {
    if (!dropdown.contains(event.target)) dropdown.open = false;
  });
});
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  const dropdown = event.target.closest && event.target.closest(".check-filter details[open]");
  if (!dropdown) return;
  dropdown.open = false;
  dropdown.querySelector("summary").focus();
});
// In a search picker, Enter searches instead of submitting the surrounding form.
document.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && event.target.matches(".picker input[type=search]")) {
    event.preventDefault();
    htmx.trigger(event.target, "search");
  }
});
// Buttons that remove something ask first (data-confirm holds the question).
document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-confirm]");
  if (button && !window.confirm(button.dataset.confirm)) {
    event.preventDefault();
  }
});
