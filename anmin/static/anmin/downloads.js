/* Report downloads (PDF, Excel) take seconds to build on the server's report lane. A link or a form
   marked data-download is fetched here instead of navigated to: its button says data-busy-text
   ("正在生成…") and cannot be pressed again until the file arrives and is saved. When the officer
   already has reports being built the server answers 429 with its message, shown beside the button;
   any other refusal is left to the page, which shows it as usual. */
(() => {
  const filename = (response, url) => {
    const header = response.headers.get("Content-Disposition") || "";
    const star = /filename\*=UTF-8''([^;]+)/i.exec(header);
    if (star) return decodeURIComponent(star[1]);
    const plain = /filename="?([^";]+)"?/i.exec(header);
    return plain ? plain[1] : url.split("?")[0].split("/").pop();
  };

  const say = (control, text) => {
    let status = control.parentNode.querySelector(":scope > .download-status");
    if (!status) {
      status = document.createElement("span");
      status.className = "download-status small muted";
      status.setAttribute("role", "status");
      control.insertAdjacentElement("afterend", status);
    }
    status.textContent = text ? " " + text : "";
  };

  const fetchFile = async (control, url) => {
    if (control.getAttribute("aria-busy") === "true") return;
    const label = control.textContent;
    control.setAttribute("aria-busy", "true");
    control.classList.add("busy");
    if (control.dataset.busyText) control.textContent = control.dataset.busyText;
    say(control, "");
    try {
      const response = await fetch(url, { credentials: "same-origin" });
      if (response.status === 429) {
        const text = (await response.text()).trim();
        let message = text;
        try {
          message = JSON.parse(text).detail[0].message; // the API's error shape
        } catch (notJson) {}
        say(control, message);
        return;
      }
      if (!response.ok) {
        window.location.assign(url); // the page's own error (a form shown again, a login) is shown as usual
        return;
      }
      const link = document.createElement("a");
      link.href = URL.createObjectURL(await response.blob());
      link.download = filename(response, url);
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 60000);
    } catch (error) {
      window.location.assign(url); // offline or cut off: let the browser try and say what happened
    } finally {
      control.textContent = label;
      control.classList.remove("busy");
      control.removeAttribute("aria-busy");
    }
  };

  document.addEventListener("click", (ev) => {
    const link = ev.target.closest("a[data-download]");
    if (!link || ev.button !== 0 || ev.ctrlKey || ev.metaKey || ev.shiftKey) return;
    ev.preventDefault();
    fetchFile(link, link.href);
  });

  document.addEventListener("submit", (ev) => {
    const form = ev.target.closest("form[data-download]");
    if (!form || form.method.toLowerCase() !== "get") return;
    ev.preventDefault();
    const button = ev.submitter || form.querySelector("[type=submit]");
    // A button without formaction reports the page's own URL as its formAction, not the form's action.
    const own = button && button.hasAttribute("formaction") ? button.formAction : form.action;
    const action = new URL(own, window.location.href);
    action.search = new URLSearchParams(new FormData(form)).toString();
    if (button && !button.dataset.busyText) button.dataset.busyText = form.dataset.busyText || "";
    fetchFile(button || form, action.toString());
  });
})();
