// The refresh progress page, updated in place while a refresh runs: every 2 seconds the page
// is fetched again and its progress copied in (the status line is a polite live region), and
// when the refresh ends the result replaces the progress and takes the focus. Without
// JavaScript the "Check progress" link does the same by hand.
(() => {
  'use strict';
  const region = document.getElementById('refresh-progress');
  if (!region || region.dataset.running !== 'true') return;
  const PERIOD_MS = 2000;

  const copy = (from, id, apply) => {
    const source = from.querySelector(`#${id}`);
    const target = document.getElementById(id);
    if (source && target) apply(source, target);
  };

  const update = async () => {
    let next;
    try {
      const response = await fetch(window.location.pathname, { cache: 'no-store', credentials: 'same-origin' });
      if (!response.ok || response.redirected) {
        window.location.reload();
        return;
      }
      const page = new DOMParser().parseFromString(await response.text(), 'text/html');
      next = page.getElementById('refresh-progress');
    } catch {
      window.setTimeout(update, PERIOD_MS * 2);
      return;
    }
    if (!next) {
      window.location.reload();
      return;
    }
    if (next.dataset.running === 'true') {
      copy(next, 'refresh-message', (s, t) => { if (t.textContent !== s.textContent) t.textContent = s.textContent; });
      copy(next, 'refresh-bar', (s, t) => { t.value = Number(s.getAttribute('value')); t.textContent = s.textContent; });
      copy(next, 'refresh-step', (s, t) => { t.textContent = s.textContent; });
      window.setTimeout(update, PERIOD_MS);
      return;
    }
    region.replaceChildren(...[...next.childNodes].map((node) => document.importNode(node, true)));
    region.dataset.running = 'false';
    const title = next.ownerDocument.title;
    if (title) document.title = title;
    document.getElementById('refresh-heading')?.focus();
  };

  window.setTimeout(update, PERIOD_MS);
})();
