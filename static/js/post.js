// A post page's small enhancements; the page works the same without them.
// - "3 days ago" stays true on pages served from a cache: each comment's <time datetime>
//   is read again against the reader's clock.
// - The like button toggles in place instead of reloading the page.
// - New comments and likes appear while the page is open: a live stream says the post's
//   conversation changed, and the page fetches itself again and swaps them in.
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
  function freshen(root) {
    var now = new Date();
    root.querySelectorAll("time[data-ago]").forEach(function (el) {
      var then = new Date(el.getAttribute("datetime"));
      if (!isNaN(then.getTime())) el.textContent = ago(then, now);
    });
  }
  freshen(document);

  var section = document.getElementById("comments");
  var refreshing = false;
  function refresh() {
    if (refreshing) return;
    refreshing = true;
    // "no-cache": the page was cached for a minute; ask the server (a 304 when unchanged).
    // The header keeps a one-time notice ("Your comment is published.") for the page itself.
    fetch(location.pathname, { credentials: "same-origin", cache: "no-cache", headers: { "X-Quire-Refresh": "1" } }).then(function (response) {
      if (!response.ok) throw new Error(response.status);
      return response.text();
    }).then(function (html) {
      var fresh = new DOMParser().parseFromString(html, "text/html");
      var next = fresh.getElementById("comments");
      var current = document.getElementById("comments");
      if (next && current) {
        // Whatever the reader is typing stays where it is.
        var typing = current.querySelector("#respond");
        var text = typing && typing.querySelector("textarea");
        if (text && text.value) next.querySelector("#respond").replaceWith(typing);
        current.replaceWith(next);
        freshen(next);
      }
      var count = fresh.querySelector("#likes .like-count");
      var shown = document.querySelector("#likes .like-count");
      if (count && shown) shown.textContent = count.textContent;
    }).catch(function () {}).then(function () { refreshing = false; });
  }
  if (section && section.dataset.post && window.EventSource) {
    var source = new EventSource("/comments/live/" + section.dataset.post);
    source.addEventListener("conversation", refresh);
    // Refused (too many streams) or gone: the page simply stays as it is.
    source.onerror = function () {
      if (source.readyState === EventSource.CLOSED) source.close();
    };
  }

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
