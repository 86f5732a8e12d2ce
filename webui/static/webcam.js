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

  function setRunning(running) {
    startButton.disabled = running;
    captureButton.disabled = !running;
    stopButton.disabled = !running;
    video.hidden = !running;
  }

  function problem(error) {
    var name = error && error.name;
    if (name === "NotAllowedError" || name === "SecurityError") {
      return "The camera was not allowed. Allow it in the browser's site settings, " +
        "or upload photos instead.";
    }
    if (name === "NotFoundError" || name === "OverconstrainedError") {
      return "No camera was found on this computer. Upload photos instead.";
    }
    if (name === "NotReadableError" || name === "AbortError") {
      return "The camera is busy or failed to start. Close other programs using it " +
        "and try again, or upload photos instead.";
    }
    return "The camera could not be started. Upload photos instead.";
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
    image.alt = "Photo " + taken + " taken with the camera";
    item.appendChild(image);
    shots.appendChild(item);
    say("Photo " + taken + " added. The form now carries " + input.files.length +
      " photo(s); press Enroll to send them.");
  }

  panel.hidden = false;
  video.hidden = true;
  var supported = !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia &&
    window.DataTransfer && input);
  if (!supported) {
    startButton.disabled = true;
    say("This browser cannot use a camera on this page (it needs HTTPS or localhost). " +
      "Upload photos instead.");
    return;
  }

  startButton.addEventListener("click", function () {
    say("Starting the camera…");
    navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 1280 } }, audio: false })
      .then(function (media) {
        stream = media;
        video.srcObject = media;
        return video.play();
      })
      .then(function () {
        setRunning(true);
        say("Camera on. Ask the student to look into the camera, then take a photo.");
        captureButton.focus();
      })
      .catch(function (error) { stop(); say(problem(error)); });
  });

  captureButton.addEventListener("click", function () {
    if (!stream || !video.videoWidth) { say("The camera picture is not ready yet."); return; }
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
    canvas.toBlob(function (blob) {
      if (blob) { addFile(blob); } else { say("The photo could not be taken; try again."); }
    }, "image/jpeg", 0.92);
  });

  stopButton.addEventListener("click", function () { stop(); say("Camera off."); });
  window.addEventListener("pagehide", stop);
}());
