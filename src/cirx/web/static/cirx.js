// Light interactivity for the cirx workspace; every page works without it.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // Submit a filter form as soon as a select changes (the Apply button stays for keyboards).
  document.querySelectorAll("form.filters select[data-autosubmit]").forEach((select) => {
    select.addEventListener("change", () => select.form.submit());
  });
  // Confirm destructive buttons (reject a draft, revoke a token).
  document.querySelectorAll("[data-confirm]").forEach((button) => {
    button.addEventListener("click", (event) => {
      if (!window.confirm(button.getAttribute("data-confirm"))) event.preventDefault();
    });
  });
});
