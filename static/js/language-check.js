/* The live language check.
 *
 * Every <textarea data-language-check data-locale="en"> gets its findings shown below it
 * as people type: after a short pause the text goes to the glossary's check endpoint
 * (POST, with the CSRF token), which answers with an HTML list of findings. Each finding
 * has a button that replaces exactly that occurrence (by its offsets) with the preferred
 * word; the text is then checked again. Changes are announced to screen readers.
 *
 * Load it with {% include "playbooks/partials/language_check_assets.html" %}, which sets
 * data-check-url and the translated messages on this script's own tag.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var config = {
    url: script ? script.getAttribute("data-check-url") : "",
    replaced: (script && script.getAttribute("data-msg-replaced")) || "Replaced.",
    clean: (script && script.getAttribute("data-msg-clean")) || ""
  };
  var DEBOUNCE_MS = 400;
  var counter = 0;

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  // The server counts offsets in Unicode code points; JavaScript strings in UTF-16 units.
  function toIndex(text, codePoints) {
    var index = 0;
    for (var i = 0; i < codePoints && index < text.length; i += 1) {
      var unit = text.charCodeAt(index);
      index += unit >= 0xd800 && unit <= 0xdbff && index + 1 < text.length ? 2 : 1;
    }
    return index;
  }

  // The occurrence of `found` nearest to `near` (the text may have changed meanwhile).
  function nearest(text, found, near) {
    var best = -1;
    var at = text.indexOf(found);
    while (at !== -1) {
      if (best === -1 || Math.abs(at - near) < Math.abs(best - near)) best = at;
      at = text.indexOf(found, at + 1);
    }
    return best;
  }

  function matchCase(found, preferred) {
    var first = found.charAt(0);
    if (first && first !== first.toLowerCase() && found !== found.toUpperCase()) {
      return preferred.charAt(0).toUpperCase() + preferred.slice(1);
    }
    return preferred;
  }

  function format(message, values) {
    return message.replace(/\{(\w+)\}/g, function (whole, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? values[key] : whole;
    });
  }

  function setUp(textarea) {
    if (textarea.hasAttribute("data-language-check-ready") || !config.url) return;
    textarea.setAttribute("data-language-check-ready", "");
    counter += 1;
    var id = (textarea.id || "language-check-" + counter) + "-findings";
    var panel = document.createElement("div");
    panel.className = "language-check";
    var findings = document.createElement("div");
    findings.id = id;
    var status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    panel.appendChild(findings);
    panel.appendChild(status);
    textarea.insertAdjacentElement("afterend", panel);
    var describedBy = textarea.getAttribute("aria-describedby");
    textarea.setAttribute("aria-describedby", describedBy ? describedBy + " " + id : id);

    var timer = null;
    var controller = null;
    var checkedText = null;
    var announced = "";
    var prefix = ""; // what was just replaced, said together with the new findings

    function announce(message) {
      if (!message || message === announced) return;
      announced = message;
      status.textContent = message;
    }

    function show(html) {
      findings.innerHTML = html;
      var summary = findings.querySelector("[data-summary]");
      var message = summary ? summary.textContent.trim() : (announced || prefix ? config.clean : "");
      if (prefix) {
        message = prefix + " " + message;
        prefix = "";
      }
      announce(message);
    }

    function check() {
      var text = textarea.value;
      if (text === checkedText) return;
      checkedText = text;
      if (controller) controller.abort();
      if (!text.trim()) {
        show("");
        return;
      }
      controller = typeof AbortController === "function" ? new AbortController() : null;
      var body = new URLSearchParams();
      body.set("text", text);
      body.set("locale", textarea.getAttribute("data-locale") || document.documentElement.lang || "en");
      fetch(config.url, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(), "X-Requested-With": "fetch" },
        signal: controller ? controller.signal : undefined
      }).then(function (response) {
        return response.ok ? response.text() : "";
      }).then(function (html) {
        if (textarea.value === text) show(html);
      }).catch(function (error) {
        if (error && error.name === "AbortError") return;
        checkedText = null; // try again at the next keystroke
      });
    }

    function schedule() {
      window.clearTimeout(timer);
      timer = window.setTimeout(check, DEBOUNCE_MS);
    }

    function replace(button) {
      var text = textarea.value;
      var found = button.getAttribute("data-found");
      var start = toIndex(text, parseInt(button.getAttribute("data-start"), 10));
      var end = toIndex(text, parseInt(button.getAttribute("data-end"), 10));
      if (text.slice(start, end) !== found) {
        start = nearest(text, found, start);
        if (start === -1) {
          checkedText = null;
          check();
          return;
        }
        end = start + found.length;
      }
      var preferred = matchCase(found, button.getAttribute("data-preferred"));
      textarea.focus();
      textarea.setSelectionRange(start, end);
      var inserted = false;
      try {
        // Keeps the browser's undo history; not every browser supports it in a textarea.
        inserted = document.execCommand("insertText", false, preferred);
      } catch (error) {
        inserted = false;
      }
      if (!inserted || textarea.value.slice(start, start + preferred.length) !== preferred) {
        textarea.value = text.slice(0, start) + preferred + text.slice(end);
        textarea.setSelectionRange(start + preferred.length, start + preferred.length);
        textarea.dispatchEvent(new Event("input", { bubbles: true }));
      }
      prefix = format(config.replaced, { found: found, preferred: preferred });
      window.clearTimeout(timer);
      check();
    }

    textarea.addEventListener("input", schedule);
    findings.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-language-fix]");
      if (button) replace(button);
    });
    if (textarea.value.trim()) check();
  }

  function setUpAll(root) {
    var areas = (root || document).querySelectorAll("textarea[data-language-check]");
    Array.prototype.forEach.call(areas, setUp);
  }

  setUpAll(document);
  document.addEventListener("htmx:load", function (event) {
    setUpAll(event.target);
  });
})();
