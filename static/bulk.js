// A bulk budget change's page, updated in place while items are sent or checked: every
// 2 seconds the page is fetched again and its progress and table copied in (the counts
// line is a polite live region). Without JavaScript a reload does the same.
(() => {
  'use strict';
  const PERIOD_MS = 2000;
  const update = async () => {
    const region = document.getElementById('batch-progress');
    if (!region || region.dataset.running !== 'true') return;
    try {
      const response = await fetch(window.location.pathname, { cache: 'no-store', credentials: 'same-origin' });
      if (!response.ok || response.redirected) {
        window.location.reload();
        return;
      }
      const page = new DOMParser().parseFromString(await response.text(), 'text/html');
      const next = page.getElementById('batch-progress');
      if (next) {
        region.replaceChildren(...next.childNodes);
        region.dataset.running = next.dataset.running;
      }
    } catch {
      // Try again at the next tick.
    }
    window.setTimeout(update, PERIOD_MS);
  };
  window.setTimeout(update, PERIOD_MS);
})();
