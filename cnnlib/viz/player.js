/* The kernel-free player of a cnnlib explorer (cnnlib/viz/player.js).

   This file is a function expression. cnnlib.viz.widgets inlines it in a script element at
   the end of each player and applies it to the player's root element, so that a page needs no
   other file and no network. The root holds one range input per moving slider (its
   data-slider attribute names the slider; an output element follows it), the frame image
   (class cnnlib-explorer-frame), a JSON script element (class cnnlib-explorer-data) with every
   frame, optionally a play button (data-play names its slider) and a hint for readers whose
   page runs no scripts.

   The data: sliders [{name, labels, stride, start}], frames (frame number -> image number),
   images (data: URIs, each distinct picture once), play ({slider, interval in ms} or null). The
   frame number of a setting is the sum over sliders of position * stride. */
(function (root) {
  "use strict";
  if (!root || root.getAttribute("data-ready")) { return; }
  root.setAttribute("data-ready", "1");

  // Scripts run here, so the sliders work: the hint for script-less pages is not needed.
  var hint = root.querySelector(".cnnlib-explorer-hint");
  if (hint) { hint.hidden = true; hint.style.display = "none"; }

  var data = JSON.parse(root.querySelector("script.cnnlib-explorer-data").textContent);
  var img = root.querySelector("img.cnnlib-explorer-frame");
  var inputs = {};
  Array.prototype.forEach.call(root.querySelectorAll("input[data-slider]"), function (input) {
    inputs[input.getAttribute("data-slider")] = input;
    input.disabled = false;
    input.addEventListener("input", update);
  });

  function update() {
    var k = 0;
    data.sliders.forEach(function (s) {
      var input = inputs[s.name];
      var pos = input ? parseInt(input.value, 10) : s.start;
      if (input && input.nextElementSibling) { input.nextElementSibling.textContent = s.labels[pos]; }
      k += pos * s.stride;
    });
    var src = data.images[data.frames[k]];
    if (img.getAttribute("src") !== src) { img.setAttribute("src", src); }
  }

  // The play button steps one slider through its values, round and round, one frame per tick.
  var button = root.querySelector("button[data-play]");
  var played = data.play && inputs[data.play.slider];
  if (button && played) {
    var timer = null;
    var show = function (playing) {
      button.textContent = playing ? "\u23f8" : "\u25b6";
      button.setAttribute("aria-pressed", playing ? "true" : "false");
      button.title = (playing ? "pause " : "play ") + data.play.slider;
    };
    var stop = function () {
      if (timer !== null) { clearInterval(timer); timer = null; }
      show(false);
    };
    var step = function () {
      if (!root.isConnected) { stop(); return; }
      var last = parseInt(played.max, 10);
      var pos = parseInt(played.value, 10);
      played.value = String(pos >= last ? 0 : pos + 1);
      update();
    };
    button.disabled = false;
    button.addEventListener("click", function () {
      if (timer !== null) { stop(); return; }
      step();
      timer = setInterval(step, data.play.interval);
      show(true);
    });
    show(false);
  }

  update();
})
