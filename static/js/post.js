// A post page's small enhancements; the page works the same without them.
// - "3 days ago" stays true on pages served from a cache: each comment's <time datetime>
//   is read again against the reader's clock.
// - The like button toggles in place instead of reloading the page.
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

  function likes(n) {
    return n + (n === 1 ? " like" : " likes");
  }
  document.querySelectorAll("form[data-like]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = form.querySelector("button");
      button.disabled = true;
      fetch(form.action, {
        method: "POST",
        body: new URLSearchParams(new FormData(form)),
        headers: { "Accept": "application/json" },
        credentials: "same-origin"
      }).then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      }).then(function (state) {
        button.setAttribute("aria-pressed", state.liked ? "true" : "false");
        button.querySelector("[data-like-label]").textContent = state.liked ? "Liked" : "Like";
        form.querySelector("input[name=liked]").value = state.liked ? "no" : "yes";
        form.querySelector("[data-like-count]").textContent = likes(state.count);
        button.disabled = false;
      }).catch(function () {
        // Whatever went wrong, the plain form says it properly.
        form.submit();
      });
    });
  });
})();
