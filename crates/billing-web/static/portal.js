// The portal's only script: copy buttons (the values stay selectable text without it).
// htmx is configured by the <meta name="htmx-config"> tag; nothing here is inline.
document.documentElement.classList.add("js");
document.addEventListener("click", function (event) {
  var button = event.target.closest("button.copy");
  if (!button) return;
  var target = document.getElementById(button.getAttribute("data-copy"));
  if (!target || !navigator.clipboard) return;
  navigator.clipboard.writeText(target.textContent.trim()).then(function () {
    var label = button.textContent;
    button.textContent = "Copied";
    setTimeout(function () { button.textContent = label; }, 1500);
  });
});

// A form that changes something is sent once: a second click while the first request is
// on its way would buy twice. Without JavaScript the server's answer (a redirect) ends it.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form.method.toLowerCase() !== "post") return;
  if (form.dataset.sent === "1") { event.preventDefault(); return; }
  form.dataset.sent = "1";
  form.querySelectorAll("button[type=submit]").forEach(function (b) {
    b.setAttribute("aria-disabled", "true");
    b.classList.add("sending");
  });
});
// Coming back with the browser's Back button shows the page from its cache: let it post again.
window.addEventListener("pageshow", function () {
  document.querySelectorAll("form[data-sent]").forEach(function (f) {
    delete f.dataset.sent;
    f.querySelectorAll("button.sending").forEach(function (b) {
      b.classList.remove("sending");
      b.removeAttribute("aria-disabled");
    });
  });
});
