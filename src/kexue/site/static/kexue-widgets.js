// Loaded between RequireJS and the widget manager (see kexue/site/offline.py).
(function () {
  // The manager's module names point at its folder in this book, so that the fonts its style sheets ask
  // for load from here, not from the page's folder or a CDN.
  var dist = new URL("vendor/html-manager/dist", document.currentScript.src).href;
  require.config({paths: {"@jupyter-widgets/html-manager/dist": dist, "@jupyter-widgets": dist}});
  // The widgets typeset their labels with MathJax 2's MathJax.Hub.Queue(["Typeset", hub, element]); the
  // page has MathJax 3, loaded with defer, so present at DOMContentLoaded, before the widgets render.
  document.addEventListener("DOMContentLoaded", function () {
    var mathjax = window.MathJax;
    if (mathjax && mathjax.version && !mathjax.Hub) {
      mathjax.Hub = {Queue: function (job) {
        mathjax.startup.promise.then(function () { return mathjax.typesetPromise([job[2]]); });
      }};
    }
  });
})();
