/** Names made unique against what is stored: "med", then "med (2)", "med (3)", … */

/** `base`, else the first of "base (2)", "base (3)", … for which `taken` is false. */
export function freeName(base: string, taken: (name: string) => boolean): string {
  if (!taken(base)) return base;
  const stem = base.replace(/ \(\d+\)$/, '');
  for (let k = 2; ; k++) if (!taken(`${stem} (${k})`)) return `${stem} (${k})`;
}
