// The hub's only script, and the pages work without it: it shows another
// file in the dossier's viewer, sends the SHA-256 of a result paper with
// the upload (the hub refuses bytes that arrive different), and stops a
// second click from posting a form twice (the hub would record it once
// anyway).
'use strict'

document.addEventListener('click', (e) => {
  const link = e.target.closest('a[data-view]')
  const viewer = document.querySelector('[data-viewer]')
  if (!link || !viewer || e.ctrlKey || e.metaKey || e.shiftKey) return
  e.preventDefault()
  viewer.src = link.dataset.view
  for (const a of document.querySelectorAll('a[data-view]')) a.removeAttribute('aria-current')
  link.setAttribute('aria-current', 'true')
})

const hex = (buf) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('')

// The submit button waits while the chosen file is hashed.
for (const form of document.querySelectorAll('form[data-hash-form]')) {
  const input = form.querySelector('[data-sha256-in]')
  const out = form.querySelector('[data-sha256-out]')
  const button = form.querySelector('button[type=submit]')
  const name = form.querySelector('[data-file-name]')
  input.addEventListener('change', async () => {
    out.value = ''
    const file = input.files[0]
    if (name) name.textContent = file ? file.name : 'Chưa chọn tệp'
    if (!file || !window.crypto?.subtle) return
    button.disabled = true
    try {
      out.value = hex(await crypto.subtle.digest('SHA-256', await file.arrayBuffer()))
    } catch {
      // The hub still hashes what it stores; it only cannot compare.
    } finally {
      button.disabled = false
    }
  })
}

document.addEventListener('submit', (e) => {
  if (e.defaultPrevented) return
  const form = e.target
  if (form.method !== 'post') return
  if (form.dataset.sent) {
    e.preventDefault()
    return
  }
  form.dataset.sent = '1'
})
