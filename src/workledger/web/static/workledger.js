// The pages' own enhancement, for browsers with JavaScript: the navigation's ledger select
// goes to the ledger chosen as soon as one is chosen, without its "Go" button (which the
// form keeps for browsers without JavaScript).
document.addEventListener("DOMContentLoaded", () => {
  for (const select of document.querySelectorAll("select[data-submit-on-change]")) {
    const button = select.form && select.form.querySelector("button[type=submit]");
    if (button) button.hidden = true;
    select.addEventListener("change", () => select.form.requestSubmit());
  }
});

// The board: a card dragged to another column moves there through its own "Move to"
// form, as if that select had been changed (SortableJS does the dragging).
document.addEventListener("DOMContentLoaded", () => {
  if (typeof Sortable === "undefined") return;
  for (const column of document.querySelectorAll("ul[data-sortable]")) {
    Sortable.create(column, {
      group: "board",
      sort: false,
      onAdd: (moved) => {
        const select = moved.item.querySelector("select[name=status]");
        select.value = moved.to.dataset.column;
        select.form.requestSubmit();
      },
    });
  }
});
