// Loaded just before the ipywidgets HTML manager (@jupyter-widgets/html-manager 1.0.6,
// embed-amd.js), vendored under _static/widgets/, so that widget pages work from disk:
// 1. its webpack chunks and icon fonts load next to its AMD module's uri, which require.js
//    resolved against the page (notebooks/@jupyter-widgets/html-manager/dist/...: not found).
//    Map that module path to the vendored folder (and set the assets-path hook it also reads);
// 2. it typesets widget labels with the MathJax 2 API, MathJax.Hub.Queue(["Typeset", Hub, el]);
//    the book loads MathJax 3, which has no Hub ("Cannot read properties of undefined (reading
//    'Queue')"). The call is forwarded to MathJax 3's typesetPromise once MathJax is ready.
(function () {
  var here = document.currentScript && document.currentScript.src;
  if (here) {
    var widgets = here.replace(/[^/]*$/, "") + "widgets/";
    window.__jupyter_widgets_assets_path__ = widgets;
    if (window.requirejs) {
      window.requirejs.config({ paths: { "@jupyter-widgets/html-manager/dist": widgets.slice(0, -1) } });
    }
  }
  function install() {
    var mj = window.MathJax;
    if (!mj || mj.Hub) return;
    mj.Hub = {
      Queue: function (command) {
        var element = command && command[2];
        var ready = mj.startup && mj.startup.promise ? mj.startup.promise : Promise.resolve();
        ready.then(function () {
          if (mj.typesetPromise) return mj.typesetPromise(element ? [element] : undefined);
        }).catch(function (err) { console.warn("MathJax typeset of a widget failed:", err); });
      },
    };
  }
  install();
  document.addEventListener("DOMContentLoaded", install);
})();
