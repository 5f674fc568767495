// Keeps "3 days ago" true on pages served from a cache: each comment's <time datetime>
// is read again against the reader's clock. The page reads fine without it.
(function () {
  "use strict";
  var DAY = 86400000;
  function ago(then, now) {
    var days = Math.floor((Date.UTC(now.getFullYear(), now.getMonth(), now.getDate()) -
      Date.UTC(then.getFullYear(), then.getMonth(), then.getDate())) / DAY);
    if (days <= 0) return "today";
    if (days === 1) return "yesterday";
    if (days <= 30) return days + " days ago";
    if (days < 365) {
      var months = Math.floor(days / 30);
      return months === 1 ? "a month ago" : months + " months ago";
    }
    var years = Math.floor(days / 365);
    return years === 1 ? "a year ago" : years + " years ago";
  }
  var now = new Date();
  document.querySelectorAll("time[data-ago]").forEach(function (el) {
    var then = new Date(el.getAttribute("datetime"));
    if (!isNaN(then.getTime())) el.textContent = ago(then, now);
  });
})();
