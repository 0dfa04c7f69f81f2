/** Saves data as a file through the browser's download (a "/" in the name becomes "-"). */
export function download(
  name: string,
  data: ArrayBuffer | string | Blob,
  type = 'application/octet-stream',
): void {
  const url = URL.createObjectURL(data instanceof Blob ? data : new Blob([data], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name.replace(/\//g, '-');
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
