// Static explorers (theorybench.static_view.static_html): every frame was computed and rendered by
// the library at build time; this script only picks the frame for the current position of the
// range inputs / selects and updates their readouts. No kernel, no network. The DOM/JSON contract
// is theorybench.static_view.SCHEMA (version 1): frames are row-major, the last control fastest.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll(".tb-static-explorer").forEach(function (root) {
    var data = JSON.parse(root.querySelector("script.tb-frames").textContent);
    if (data.version !== 1) throw new Error("tb-explorer: frame schema version " + data.version);
    var img = root.querySelector("img.tb-frame");
    var inputs = Array.prototype.slice.call(root.querySelectorAll("[data-control]"));
    function redraw() {
      var index = 0;
      inputs.forEach(function (el, i) {
        var position = parseInt(el.value, 10);
        index = index * data.sizes[i] + position;
        var out = el.parentElement.querySelector("output");
        if (out && el.dataset.readouts) out.textContent = JSON.parse(el.dataset.readouts)[position];
      });
      img.src = "data:image/png;base64," + data.frames[index];
      root.dataset.frame = String(index);
    }
    inputs.forEach(function (el) {
      el.addEventListener("input", redraw);
      el.addEventListener("change", redraw);
    });
    root.dataset.ready = "true";
  });
});
