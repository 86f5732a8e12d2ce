/* Live parts of a page (progressive enhancement; no inline script).
 *
 * The element carrying data-live-url names a small JSON endpoint (webui/live.py):
 *   {"live": bool, "version": "...", "parts": {"element-id": "<html>", ...}}
 * Every data-live-seconds (default 10) it is fetched; when its version differs from the
 * page's, each part replaces the content of the element with that id, unless the user is
 * working inside it (focus, or an open <details>): then it waits for the next poll. When
 * "live" turns false the page is reloaded once, so it shows its final state, and polling
 * stops. Polling pauses while the tab is hidden. If the answer is not JSON (signed out, an
 * error) polling stops and the page says so. Without JavaScript the page still works: it
 * just does not refresh by itself.
 *
 * The script has no words of its own: the page gives them, in its language, as
 * data-live-text-every, -updated, -over and -stopped ({seconds} and {time} filled in here).
 */
(function () {
  "use strict";

  var root = document.querySelector("[data-live-url]");
  if (!root || !window.fetch) { return; }
  var url = root.getAttribute("data-live-url");
  var version = root.getAttribute("data-live-version") || "";
  var seconds = Math.max(5, parseInt(root.getAttribute("data-live-seconds") || "10", 10));
  var status = root.querySelector("[data-live-status]");
  var pending = null;
  var stopped = false;

  function say(text) {
    if (status && text) { status.textContent = text; }
  }

  /* The page's text called name, with {seconds} and {time} filled in. */
  function text(name) {
    return (root.getAttribute("data-live-text-" + name) || "")
      .replace("{seconds}", String(seconds)).replace("{time}", clock());
  }

  function clock() {
    var now = new Date();
    var language = document.documentElement.lang || [];
    return now.toLocaleTimeString(language, { hour: "2-digit", minute: "2-digit",
                                              second: "2-digit", hour12: false });
  }

  function busy(element) {
    var active = document.activeElement;
    if (active && active !== document.body && element.contains(active)) { return true; }
    return element.querySelector("details[open]") !== null;
  }

  /* Apply the parts; true when every part could be applied. */
  function apply(parts) {
    var done = true;
    Object.keys(parts).forEach(function (id) {
      var element = document.getElementById(id);
      if (!element) { return; }
      if (busy(element)) { done = false; return; }
      element.innerHTML = parts[id];
    });
    return done;
  }

  function stop(text) {
    stopped = true;
    say(text);
  }

  function handle(answer) {
    if (answer.version !== version) { pending = answer; }
    if (pending && apply(pending.parts)) {
      version = pending.version;
      pending = null;
    }
    if (!answer.live) {
      if (pending === null) {
        stop(text("over"));
        window.location.reload();
      }
      return;  // wait until the user is done, then the next poll reloads
    }
    say(text("updated"));
  }

  function poll() {
    if (stopped) { return; }
    if (document.hidden) { window.setTimeout(poll, seconds * 1000); return; }
    window.fetch(url, { credentials: "same-origin", cache: "no-store",
                        headers: { "Accept": "application/json" } })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (!response.ok || response.redirected || type.indexOf("application/json") !== 0) {
          throw new Error("not live data");
        }
        return response.json();
      })
      .then(function (answer) {
        handle(answer);
        if (!stopped) { window.setTimeout(poll, seconds * 1000); }
      })
      .catch(function () {
        stop(text("stopped"));
      });
  }

  say(text("every"));
  window.setTimeout(poll, seconds * 1000);
}());
