// Glued values stay bold, glued prose does not (see kuailive.css): a glued text of more than
// three words is prose and gets the class kl-prose.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("span.pasted-text").forEach(function (span) {
    var words = span.textContent.trim().split(/\s+/);
    if (words.length > 3) {
      span.classList.add("kl-prose");
    }
  });
});
