// The server's pages: plain HTML, readable on a phone (viewport, one column, large targets), no script, no
// third-party asset. Every value shown is escaped.
export const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;margin:0 auto;padding:1rem;max-width:36rem;color:#111}
h1{font-size:1.4rem}fieldset{border:1px solid #999;border-radius:6px;margin:0 0 1rem;padding:.5rem 1rem}
legend{font-weight:600}label{display:block;padding:.4rem 0}input[type=checkbox]{width:1.2rem;height:1.2rem;margin-right:.5rem}
button{font:inherit;padding:.7rem 1.2rem;margin:.3rem 0;border-radius:6px;border:1px solid #333;background:#fff;cursor:pointer}
button.primary{background:#0b5;border-color:#0b5;color:#fff}button:focus,input:focus{outline:3px solid #05a;outline-offset:2px}
.note{color:#444}.status{font-weight:600}`;

/** A whole page; `body` is trusted HTML built with escapeHtml. */
export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><main>${body}</main></body></html>`;
}

export function messagePage(title: string, text: string): string {
  return page(title, `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p>`);
}
