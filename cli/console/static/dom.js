// @ts-check
// Building the console's pages. Every value from a run is put into the page as text (textContent), never as markup,
// so a reason or comment holding <script> is shown as those characters.

/**
 * What an element may hold as one child: a node, or anything else as its text. `null`, `undefined` and `false` leave
 * nothing, so `cond ? x : null` reads naturally.
 * @typedef {Node | string | number | boolean | null | undefined} Leaf
 */

/**
 * A child, or a list of them (what `.map` gives), laid out in order.
 * @typedef {Leaf | readonly Leaf[]} Child
 */

/**
 * Attributes of an element: `class`, `dataset` (an object of data-* values), `on<event>` listeners, and the rest as
 * attributes (`true` sets an empty one; `null`, `undefined` and `false` leave it out).
 * @typedef {Record<string, unknown>} Attrs
 */

/**
 * The nodes children stand for, in order.
 * @param {readonly Child[]} children
 * @returns {Node[]}
 */
function nodesOf(children) {
  /** @type {Node[]} */
  const nodes = [];
  /** @param {unknown} child */
  const add = (child) => {
    if (child === undefined || child === null || child === false) return;
    if (Array.isArray(child)) for (const c of child) add(c);
    else nodes.push(child instanceof Node ? child : document.createTextNode(String(child)));
  };
  for (const child of children) add(child);
  return nodes;
}

/**
 * An element with attributes and children; strings become text nodes.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Attrs | null} attrs
 * @param {...Child} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = String(v);
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), /** @type {EventListener} */ (v));
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  el.append(...nodesOf(children));
  return el;
}

/**
 * Replaces what an element holds; with no children, empties it.
 * @template {Element} E
 * @param {E} el
 * @param {...Child} children
 * @returns {E}
 */
export function replace(el, ...children) {
  el.replaceChildren(...nodesOf(children));
  return el;
}

/**
 * An element the page is built around, of the kind the page's HTML gives it; a page without it is not the console's.
 * @template {HTMLElement} E
 * @param {string} id
 * @param {new () => E} kind
 * @returns {E}
 */
export function byId(id, kind) {
  const el = document.getElementById(id);
  if (!(el instanceof kind)) throw new Error(`the page has no ${kind.name} #${id}`);
  return el;
}

/**
 * The first element under `root` that matches, of the kind asked for: for parts a page built itself.
 * @template {Element} E
 * @param {ParentNode} root
 * @param {string} selector
 * @param {new () => E} kind
 * @returns {E}
 */
export function within(root, selector, kind) {
  const el = root.querySelector(selector);
  if (!(el instanceof kind)) throw new Error(`no ${kind.name} ${selector} on the page`);
  return el;
}

/**
 * A run's or step's state as a coloured word; `data-state` holds the word for tests and styles.
 * @param {string} state
 */
export function badge(state) {
  return h('span', { class: `badge state-${String(state).replace(/[^a-z-]/g, '')}`, dataset: { state } }, state);
}

/** @type {ReturnType<typeof setTimeout> | undefined} */
let toastTimer;

/**
 * A short message at the foot of the page that goes away by itself.
 * @param {string} text
 */
export function toast(text) {
  const el = byId('toast', HTMLElement);
  el.textContent = text;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (el.hidden = true), 6000);
}
