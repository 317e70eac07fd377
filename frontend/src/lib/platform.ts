// Platform adapter: what the desktop shell (Wails) may do natively and a
// browser does its own way. Only documents for now: in a browser a form PDF
// opens in a new tab (the built-in viewer prints it), or downloads when the
// tab is blocked. The desktop shell can register a native implementation
// (print dialog, save dialog) with setDocumentOpener without touching the
// screens.

export type DocumentOpener = (url: string, filename: string) => void | Promise<void>

let opener: DocumentOpener | null = null

// setDocumentOpener installs a native implementation; null restores the
// browser behaviour.
export function setDocumentOpener(fn: DocumentOpener | null): void {
  opener = fn
}

// openDocument shows or prints the document at url (same-origin API path).
export async function openDocument(url: string, filename: string): Promise<void> {
  if (opener) return opener(url, filename)
  const win = window.open(url, '_blank')
  if (win) return
  downloadDocument(url, filename)
}

// downloadDocument saves the document under filename.
export function downloadDocument(url: string, filename: string): void {
  const a = document.createElement('a')
  a.href = url
  a.download = filename
  a.rel = 'noopener'
  document.body.appendChild(a)
  a.click()
  a.remove()
}
