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
