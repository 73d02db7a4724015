/**
 * Building the page's DOM. Every value may come from a token an attacker wrote, so text goes in
 * only as text nodes (`textContent`), never as markup; attributes are set one by one, and links
 * are made only from the explorer's own paths with percent-encoded ids.
 * @module
 */

/** What `h` accepts as children: nodes, or strings that become text nodes. */
export type Child = Node | string | null | undefined | false;

/** Attributes and listeners of an element made by `h`. */
export interface Props {
  readonly class?: string;
  readonly attrs?: Readonly<Record<string, string>>;
  readonly onClick?: (event: Event) => void;
}

/** An HTML element with its children; strings are added as text. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (props.class !== undefined) element.className = props.class;
  for (const [name, value] of Object.entries(props.attrs ?? {})) element.setAttribute(name, value);
  if (props.onClick !== undefined) element.addEventListener('click', props.onClick);
  append(element, children);
  return element;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** An SVG element with attributes; text only through `textContent`. */
export function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Readonly<Record<string, string | number>> = {},
  ...children: Child[]
): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) element.setAttribute(name, String(value));
  append(element, children);
  return element;
}

function append(parent: Element, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
}

/** Replaces the element's children. */
export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

/** A link to an explorer page (the path is built from encoded ids, never taken from data). */
export function link(path: string, ...children: Child[]): HTMLAnchorElement {
  return h('a', { attrs: { href: path } }, ...children);
}

/** The explorer path of a workflow or of a task recorded without a `wid`. */
export function workflowPath(options: {
  readonly wid: string | null;
  readonly seq: number;
}): string {
  return options.wid === null
    ? `/tasks/${options.seq}`
    : `/workflows/${encodeURIComponent(options.wid)}`;
}

/** At most `max` characters of `text`, with an ellipsis when cut (the full text goes in a title). */
export function clip(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

/** A time as ISO text (UTC), or a dash. */
export function isoTime(ms: number): string {
  return Number.isFinite(ms) && ms > 0 ? new Date(ms).toISOString() : '—';
}

/** A mark and a verdict: ok, failed, or waiting. */
export function verdict(state: 'ok' | 'bad' | 'wait' | 'none', text: string): HTMLElement {
  const mark = { ok: '✓', bad: '✗', wait: '…', none: '–' }[state];
  return h('span', { class: `verdict verdict-${state}` }, `${mark} ${text}`);
}
