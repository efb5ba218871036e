/* Questionnaire helpers. Saving itself is htmx (hx-post on each field's form); this file only
   keeps the "无" option of a multi question exclusive, keeps the newest progress when saves
   answer out of order, and reports saves htmx does not swap (403, 5xx, network, logged out). */
(function () {
  "use strict";

  // Capture phase: runs before htmx's change listener on the form gathers the ticked values,
  // so the save carries the corrected set. The server refuses "A + others" in any case.
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!(box instanceof HTMLInputElement) || box.type !== "checkbox" || !box.checked) return;
    var group = box.closest("[data-multi]");
    if (!group) return;
    var exclusive = box.hasAttribute("data-exclusive");
    group.querySelectorAll("input[type=checkbox]").forEach(function (other) {
      if (other !== box && (exclusive || other.hasAttribute("data-exclusive"))) {
        other.checked = false;
      }
    });
  }, true);

  // Saves of different fields run in parallel and may answer out of order. The progress and the
  // cross-check notes describe the whole questionnaire, so keep the newest state: skip an
  // out-of-band update whose edit version is older than the one already shown.
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var detail = event.detail;
    var shown = detail.target.getAttribute("data-edit-version");
    var fragment = detail.fragment;
    var incoming = fragment instanceof DocumentFragment ? fragment.firstElementChild : fragment;
    if (shown === null || !incoming || !incoming.hasAttribute("data-edit-version")) return;
    if (Number(incoming.getAttribute("data-edit-version")) < Number(shown)) {
      detail.shouldSwap = false;
    }
  });

  // An evidence file above the size limit is refused here, before it is sent (the server
  // refuses it as well): the browser's own validity message, and no upload.
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!(input instanceof HTMLInputElement) || !input.hasAttribute("data-max-bytes")) return;
    var file = input.files && input.files[0];
    var tooLarge = file && file.size > Number(input.getAttribute("data-max-bytes"));
    input.setCustomValidity(tooLarge ? input.getAttribute("data-too-large") : "");
    if (tooLarge) input.reportValidity();
  });

  function status(text, cls) {
    var el = document.getElementById("save-status");
    if (!el) return;
    el.textContent = text;
    el.className = "save-status " + cls;
  }

  // An expired session answers a save with a redirect to the login page: say so instead of
  // swapping the login form into the status line.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var form = document.getElementById("questionnaire");
    var login = form && form.getAttribute("data-login-url");
    var xhr = event.detail.xhr;
    if (login && xhr && xhr.responseURL && new URL(xhr.responseURL).pathname === login) {
      event.detail.shouldSwap = false;
      status("登录已过期，修改没有保存。请在新窗口重新登录后刷新本页。", "bad");
    }
  });

  // 400, 409 and 422 carry a message for the user (a refused answer, a save that lost a race, a
  // refused evidence file): swap them like a 200. The page's own htmx-config meta cannot say so,
  // since htmx reads only the first such meta, base.html's.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    var elt = event.detail.elt;
    if (!xhr || [400, 409, 422].indexOf(xhr.status) < 0) return;
    if (!elt || !elt.closest || !elt.closest("#questionnaire")) return;
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.target.closest && event.target.closest("form.autosave")) status("正在保存…", "busy");
  });
  // 400 and 409 are swapped (see the htmx-config meta tag); anything else lands here.
  document.addEventListener("htmx:responseError", function (event) {
    var code = event.detail.xhr ? event.detail.xhr.status : "";
    var text = code === 403 ? "您没有修改这份评测的权限，修改未保存。"
      : "保存失败（" + code + "），请刷新页面后重试。";
    status(text, "bad");
  });
  document.addEventListener("htmx:sendError", function () {
    status("网络连接失败，修改尚未保存，请检查网络后再改一次。", "bad");
  });
})();
