/* Webcam capture on the enrollment form (progressive enhancement; no inline script).
 *
 * Shows the camera picture, takes a frame into a canvas and adds it as a JPEG file to the
 * form's photo input (via DataTransfer), so the server receives exactly what an upload sends.
 * Without a camera, permission or browser support it says so and the upload still works.
 */
(function () {
  "use strict";

  var panel = document.getElementById("webcam");
  if (!panel) { return; }
  var input = document.getElementById(panel.getAttribute("data-input"));
  var video = panel.querySelector("video");
  var canvas = panel.querySelector("canvas");
  var startButton = panel.querySelector('[data-action="start"]');
  var captureButton = panel.querySelector('[data-action="capture"]');
  var stopButton = panel.querySelector('[data-action="stop"]');
  var status = panel.querySelector(".webcam-status");
  var shots = panel.querySelector(".webcam-shots");
  var stream = null;
  var taken = 0;

  function say(text) { status.textContent = text; }

  /* The page's text called name (data-text-<name> on the panel: the script has no words of
   * its own), with {n} and {count} filled in. */
  function text(name, n, count) {
    return (panel.getAttribute("data-text-" + name) || "")
      .replace("{n}", String(n)).replace("{count}", String(count));
  }

  function setRunning(running) {
    startButton.disabled = running;
    captureButton.disabled = !running;
    stopButton.disabled = !running;
    video.hidden = !running;
  }

  function problem(error) {
    var name = error && error.name;
    if (name === "NotAllowedError" || name === "SecurityError") {
      return text("denied");
    }
    if (name === "NotFoundError" || name === "OverconstrainedError") {
      return text("missing");
    }
    if (name === "NotReadableError" || name === "AbortError") {
      return text("busy");
    }
    return text("failed");
  }

  function stop() {
    if (stream) {
      stream.getTracks().forEach(function (track) { track.stop(); });
      stream = null;
    }
    video.srcObject = null;
    setRunning(false);
  }

  function addFile(blob) {
    taken += 1;
    var file = new File([blob], "webcam-" + taken + ".jpg", { type: "image/jpeg" });
    var transfer = new DataTransfer();
    Array.prototype.forEach.call(input.files, function (f) { transfer.items.add(f); });
    transfer.items.add(file);
    input.files = transfer.files;
    var item = document.createElement("li");
    var image = document.createElement("img");
    image.src = URL.createObjectURL(blob);
    image.alt = text("shot", taken);
    item.appendChild(image);
    shots.appendChild(item);
    say(text("added", taken, input.files.length));
  }

  panel.hidden = false;
  video.hidden = true;
  var supported = !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia &&
    window.DataTransfer && input);
  if (!supported) {
    startButton.disabled = true;
    say(text("unsupported"));
    return;
  }

  startButton.addEventListener("click", function () {
    say(text("starting"));
    navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 1280 } }, audio: false })
      .then(function (media) {
        stream = media;
        video.srcObject = media;
        return video.play();
      })
      .then(function () {
        setRunning(true);
        say(text("on"));
        captureButton.focus();
      })
      .catch(function (error) { stop(); say(problem(error)); });
  });

  captureButton.addEventListener("click", function () {
    if (!stream || !video.videoWidth) { say(text("not-ready")); return; }
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
    canvas.toBlob(function (blob) {
      if (blob) { addFile(blob); } else { say(text("capture-failed")); }
    }, "image/jpeg", 0.92);
  });

  stopButton.addEventListener("click", function () { stop(); say(text("off")); });
  window.addEventListener("pagehide", stop);
}());
