// The moderation queue follows new and moderated comments while it is open; the page works
// the same without this. A live stream says the queue changed; the page fetches itself again
// and swaps in the list, unless the moderator has ticked comments or is using the form, in
// which case it only says that the queue changed, so nothing they chose moves under them.
(function () {
  "use strict";
  var queue = document.getElementById("queue");
  if (!queue || !queue.dataset.live || !window.EventSource) return;
  var status = document.getElementById("queue-status");
  var busy = false;
  var stale = false;
  function say(text) {
    if (status) {
      status.textContent = text;
      status.hidden = !text;
    }
  }
  function inUse() {
    return queue.querySelector("input[type=checkbox]:checked") !== null ||
      queue.contains(document.activeElement) && document.activeElement !== document.body &&
      document.activeElement.tagName !== "A";
  }
  function refresh() {
    if (busy) { stale = true; return; }
    if (inUse()) {
      say("New activity in the queue. Reload the page to see it.");
      return;
    }
    busy = true;
    fetch(location.href, { credentials: "same-origin", cache: "no-store", headers: { "X-Quire-Refresh": "1" } }).then(function (response) {
      if (!response.ok) throw new Error(response.status);
      return response.text();
    }).then(function (html) {
      var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("queue");
      if (fresh && !inUse()) {
        queue.innerHTML = fresh.innerHTML;
        say("The queue was updated.");
      }
    }).catch(function () {}).then(function () {
      busy = false;
      if (stale) { stale = false; refresh(); }
    });
  }
  var source = new EventSource(queue.dataset.live);
  source.addEventListener("queue", refresh);
  source.onerror = function () {
    if (source.readyState === EventSource.CLOSED) source.close();
  };
})();
