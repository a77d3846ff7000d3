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
