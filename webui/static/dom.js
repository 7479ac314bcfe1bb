// HTML helpers of the web view: elements and text nodes only, never HTML
// parsed from data.

// h makes an element with attributes and children.
export function h(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null) continue;
    if (k === 'class') e.className = v; else e.setAttribute(k, String(v));
  }
  for (const c of children) e.append(c);
  return e;
}

// clear removes a node's children.
export function clear(node) { while (node.firstChild) node.firstChild.remove(); }
