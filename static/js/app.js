/* PRM portal behaviour. Everything here is an enhancement: pages work without it. */
(function () {
  "use strict";

  // htmx requests carry the CSRF token that base.html puts in <meta name="csrf-token">.
  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta && meta.content) {
      event.detail.headers["X-CSRFToken"] = meta.content;
    }
  });

  // Forms marked data-autosubmit (the language switch) submit when a select changes.
  // Their submit button stays for people without JavaScript.
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!(target instanceof HTMLSelectElement)) return;
    var form = target.closest("form[data-autosubmit]");
    if (!form) return;
    if (typeof form.requestSubmit === "function") {
      form.requestSubmit();
    } else {
      form.submit();
    }
  });

  // Copy buttons: <button data-copy="ID" data-copied="Copied." hidden> copies the value
  // (or text) of the element with that id. They are hidden until this script shows them.
  function revealCopyButtons(root) {
    var buttons = (root || document).querySelectorAll("button[data-copy][hidden]");
    Array.prototype.forEach.call(buttons, function (button) {
      button.hidden = false;
    });
  }

  function textOf(element) {
    return element instanceof HTMLInputElement || element instanceof HTMLTextAreaElement
      ? element.value
      : element.textContent.trim();
  }

  function copyWithSelection(element) {
    if (!(element instanceof HTMLInputElement || element instanceof HTMLTextAreaElement)) {
      return false;
    }
    element.focus();
    element.select();
    try {
      return document.execCommand("copy");
    } catch (error) {
      return false;
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-copy]");
    if (!button) return;
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) return;
    var status = button.parentNode.querySelector("[data-copy-status]");
    var done = function () {
      if (status) status.textContent = button.getAttribute("data-copied") || "";
    };
    var fallback = function () {
      if (copyWithSelection(source)) done();
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(textOf(source)).then(done, fallback);
    } else {
      fallback();
    }
  });

  // The account menu (<details class="user-menu">) closes on Escape or a click elsewhere.
  function closeMenus(except) {
    var menus = document.querySelectorAll("details.user-menu[open]");
    Array.prototype.forEach.call(menus, function (menu) {
      if (menu !== except) menu.open = false;
    });
  }
  document.addEventListener("click", function (event) {
    closeMenus(event.target.closest("details.user-menu"));
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var open = document.querySelector("details.user-menu[open]");
    if (open) {
      open.open = false;
      open.querySelector("summary").focus();
    }
  });

  revealCopyButtons(document);
  document.addEventListener("htmx:load", function (event) {
    revealCopyButtons(event.target);
  });
})();
