/**
 * Registers public/sw.js (production builds only) and hands it the URLs this page has loaded, so
 * what the first visit fetched before the worker took control (scripts, the engine worker, model
 * files) is cached for offline use too.
 */
export function registerServiceWorker(): void {
  if (!('serviceWorker' in navigator)) return;
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
