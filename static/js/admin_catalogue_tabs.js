// The catalogue's long admin pages (an item, an implementation) as tabs: the page's own
// sections first, then one tab per inline (stages, materials, form fields…). Without this
// script every section shows, one after the other. A tab holding an error opens first.
document.addEventListener("DOMContentLoaded", () => {
  const anchor = document.getElementById("catalogue-tabs");
  if (!anchor) return;
  const form = anchor.closest("form");
  const groups = [...form.querySelectorAll(".inline-group, .djn-group")].filter(
    (group) => !group.parentElement.closest(".inline-group, .djn-group"),
  );
  const sections = [...form.querySelectorAll("fieldset.module")].filter(
    (section) => !section.closest(".inline-group, .djn-group, .submit-row"),
  );
  if (!groups.length) return;
  const panels = [{ label: anchor.dataset.general, nodes: sections }];
  for (const group of groups) {
    const heading = group.querySelector("h2");
    panels.push({ label: heading ? heading.textContent.trim() : "…", nodes: [group] });
  }
  const list = document.createElement("div");
  list.className = "catalogue-tablist";
  list.setAttribute("role", "tablist");
  anchor.appendChild(list);
  const buttons = panels.map((panel, index) => {
    const button = document.createElement("button");
    button.type = "button";
    button.setAttribute("role", "tab");
    button.id = `catalogue-tab-${index}`;
    button.textContent = panel.label;
    const hasError = panel.nodes.some((node) => node.querySelector(".errorlist, .errors"));
    if (hasError) button.classList.add("has-error");
    button.addEventListener("click", () => show(index));
    list.appendChild(button);
    return button;
  });
  function show(chosen) {
    panels.forEach((panel, index) => {
      const selected = index === chosen;
      buttons[index].setAttribute("aria-selected", String(selected));
      for (const node of panel.nodes) node.hidden = !selected;
    });
  }
  const firstError = buttons.findIndex((button) => button.classList.contains("has-error"));
  show(firstError === -1 ? 0 : firstError);
});
