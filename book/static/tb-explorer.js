// Static explorers (theorybench.widgets.Explorer.static_html): every frame was computed and
// rendered by the library at build time; this script only picks the frame for the current
// position of the range inputs / selects and updates their readouts. No kernel, no network.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll(".tb-static-explorer").forEach(function (root) {
    var data = JSON.parse(root.querySelector("script.tb-frames").textContent);
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
