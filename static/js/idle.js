// Idle timeout: warn before the server logs this session out, offer to stay logged in, and
// reload when the time is up so the login page says why. Any request resets the clock.
(() => {
  const script = document.currentScript;
  const timeout = Number(script.dataset.timeout) * 1000;
  const warning = Number(script.dataset.warning) * 1000;
  const keepalive = script.dataset.keepalive;
  let warnTimer, endTimer, banner;

  function hideBanner() { if (banner) banner.hidden = true; }

  function showBanner() {
    if (!banner) {
      banner = document.createElement("div");
      banner.className = "idle-warning";
      banner.setAttribute("role", "alertdialog");
      banner.setAttribute("aria-live", "assertive");
      banner.innerHTML = '<p>You will be logged out in ' + Math.round(warning / 60000) +
        ' minutes because nothing happened on this page.</p>' +
        '<button type="button">Stay logged in</button>';
      banner.querySelector("button").addEventListener("click", () => {
        const csrf = document.body.getAttribute("hx-headers");
        const token = csrf ? JSON.parse(csrf)["X-CSRFToken"] : "";
        fetch(keepalive, {method: "POST", credentials: "same-origin", headers: {"X-CSRFToken": token}})
          .then(() => { hideBanner(); restart(); });
      });
      document.body.appendChild(banner);
    }
    banner.hidden = false;
    banner.querySelector("button").focus();
  }

  function restart() {
    clearTimeout(warnTimer);
    clearTimeout(endTimer);
    warnTimer = setTimeout(showBanner, Math.max(0, timeout - warning));
    endTimer = setTimeout(() => window.location.reload(), timeout + 5000);
  }

  document.addEventListener("htmx:afterRequest", () => { hideBanner(); restart(); });
  restart();
})();
