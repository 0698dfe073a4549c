// Needs search: "Add a need" and "Remove" change the rows in place. Without this script they
// are submit buttons, and the server adds or drops the row.
(function () {
  const form = document.getElementById("needs-form");
  const template = document.getElementById("need-row-template");
  if (!form || !template) return;
  const list = form.querySelector("[data-need-rows]");

  function renumber() {
    list.querySelectorAll("[data-need-row]").forEach((row, index) => {
      const number = index + 1;
      const label = row.querySelector("label");
      const capability = row.querySelector("select[name=capability]");
      const level = row.querySelector("select[name=level]");
      const remove = row.querySelector("button[name=remove]");
      capability.id = "id_capability_" + index;
      label.htmlFor = capability.id;
      label.textContent = "Need " + number;
      level.id = "id_level_" + index;
      level.setAttribute("aria-label", "Need " + number + " minimum level");
      remove.value = String(index);
      remove.setAttribute("aria-label", "Remove need " + number);
    });
  }

  form.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button || !form.contains(button)) return;
    if (button.name === "add") {
      event.preventDefault();
      const row = template.content.firstElementChild.cloneNode(true);
      list.appendChild(row);
      renumber();
      row.querySelector("select").focus();
    } else if (button.name === "remove") {
      event.preventDefault();
      const row = button.closest("[data-need-row]");
      const rows = list.querySelectorAll("[data-need-row]");
      if (rows.length === 1) {
        row.querySelector("select[name=capability]").value = "";
        row.querySelector(".errorlist")?.remove();
        row.querySelector("select").focus();
        return;
      }
      const next = row.nextElementSibling || row.previousElementSibling;
      row.remove();
      renumber();
      next.querySelector("select").focus();
    }
  });
})();
