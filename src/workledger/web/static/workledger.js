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
