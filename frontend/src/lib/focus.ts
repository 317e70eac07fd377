// Keyboard flow of the desk forms: Enter moves to the next field the way
// Tab does, so a clerk fills a form with the number pad and Enter. Fields
// marked data-enter-skip (prefilled counts) are still reachable with Tab.

const FOCUSABLE =
  'input:not([type=hidden]):not([disabled]), select:not([disabled]), textarea:not([disabled]), button[type=submit]:not([disabled])'

function visible(el: HTMLElement): boolean {
  return el.offsetParent !== null || el.getClientRects().length > 0
}

// enterStops lists the elements Enter visits in root, in document order: one
// stop per radio group (its checked radio, else its first).
export function enterStops(root: HTMLElement): HTMLElement[] {
  const out: HTMLElement[] = []
  const groups = new Set<string>()
  for (const el of root.querySelectorAll<HTMLElement>(FOCUSABLE)) {
    if (!visible(el) || el.dataset.enterSkip !== undefined || el.tabIndex < 0) continue
    if (el instanceof HTMLInputElement && el.type === 'radio' && el.name) {
      if (groups.has(el.name)) continue
      groups.add(el.name)
      const checked = root.querySelector<HTMLInputElement>(`input[type=radio][name="${CSS.escape(el.name)}"]:checked`)
      out.push(checked ?? el)
      continue
    }
    out.push(el)
  }
  return out
}

// focusNext moves focus from `from` to the next Enter stop in root; it
// returns false at the end.
export function focusNext(root: HTMLElement, from: HTMLElement): boolean {
  const stops = enterStops(root)
  let i = stops.indexOf(from)
  if (i < 0 && from instanceof HTMLInputElement && from.type === 'radio') {
    i = stops.findIndex((s) => s instanceof HTMLInputElement && s.name === from.name)
  }
  if (i < 0) {
    // Not a stop itself (a skipped field): the first stop after it.
    const next = stops.find((s) => from.compareDocumentPosition(s) & Node.DOCUMENT_POSITION_FOLLOWING)
    if (!next) return false
    next.focus()
    return true
  }
  const next = stops[i + 1]
  if (!next) return false
  next.focus()
  if (next instanceof HTMLInputElement && (next.type === 'text' || next.type === 'number')) next.select()
  return true
}

// focusField focuses the element with id, scrolled into view; false when
// absent.
export function focusField(id: string): boolean {
  const el = document.getElementById(id)
  if (!el) return false
  el.focus()
  el.scrollIntoView({ block: 'nearest' })
  return true
}
