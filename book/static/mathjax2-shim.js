// The ipywidgets HTML manager (@jupyter-widgets/html-manager 1.0.6) typesets widget labels with
// the MathJax 2 API, MathJax.Hub.Queue(["Typeset", MathJax.Hub, element]). The book loads
// MathJax 3, which has no Hub, so the manager threw "Cannot read properties of undefined
// (reading 'Queue')". Forward the call to MathJax 3's typesetPromise once MathJax is ready.
(function () {
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
