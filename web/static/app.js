// Small progressive enhancements; every page works without JavaScript.
document.addEventListener("DOMContentLoaded", function () {
  // Bring keyboard and screen-reader focus to the result of the last action.
  var flash = document.getElementById("flash") || document.getElementById("form-error");
  if (flash) { flash.setAttribute("tabindex", "-1"); flash.focus(); }
  // Confirm destructive actions.
  document.querySelectorAll("button.danger").forEach(function (button) {
    button.addEventListener("click", function (event) {
      if (!window.confirm("Withdraw this product? This cannot be undone.")) { event.preventDefault(); }
    });
  });
});
