/**
 * Registers public/sw.js (production builds only) and hands it the URLs this page has loaded, so
 * what the first visit fetched before the worker took control (scripts, the engine worker, model
 * files) is cached for offline use too.
 *
 * Cross-origin isolation on static hosts that cannot send COOP/COEP headers: the worker adds them to what
 * it serves (src/sw/core.ts withIsolation), so a page it did not serve (the first visit, a hard reload) is
 * reloaded once when the worker controls it; a session flag stops a second reload when the page still is
 * not isolated (an old worker, a browser without the feature) — the CPU backend then runs on one thread
 * and its label says why.
 */
const RELOADED = 'stm-coi-reload';

function reloadForIsolation(): boolean {
  if (globalThis.crossOriginIsolated || !navigator.serviceWorker.controller) return false;
  try {
    if (sessionStorage.getItem(RELOADED)) return false;
    sessionStorage.setItem(RELOADED, '1');
  } catch {
    return false; // no session storage: never risk a reload loop
  }
  location.reload();
  return true;
}

export function registerServiceWorker(): void {
  if (!('serviceWorker' in navigator)) return;
  if (reloadForIsolation()) return;
  if (globalThis.crossOriginIsolated) {
    try {
      sessionStorage.removeItem(RELOADED);
    } catch {
      // nothing to clear
    }
  }
  navigator.serviceWorker.addEventListener('controllerchange', () => reloadForIsolation());
  window.addEventListener('load', () => {
    navigator.serviceWorker
      .register('./sw.js', { scope: './' })
      .then(async () => {
        const reg = await navigator.serviceWorker.ready;
        const sameOrigin = (u: string) => new URL(u, location.href).origin === location.origin;
        const urls = performance
          .getEntriesByType('resource')
          .map((e) => e.name)
          .filter(sameOrigin);
        reg.active?.postMessage({ type: 'cache-urls', urls: [location.href, ...urls] });
      })
      .catch((e: unknown) => console.warn('service worker registration failed:', e));
  });
}
