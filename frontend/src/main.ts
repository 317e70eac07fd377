import { mount } from 'svelte'
import './app.css'
import App from './App.svelte'
import { request } from './lib/api'
import { setDocumentOpener } from './lib/platform'

// Inside the desktop window there is no browser PDF viewer: the backend says
// so in /api/version and then hands documents to the OS viewer, which prints.
request<{ desktop?: boolean }>('GET', '/api/version')
  .then((v) => {
    if (v.desktop) {
      setDocumentOpener(async (url) => {
        // A fragment (a PDF's "#page=N") is for browser viewers; the API
        // path alone names the document.
        await request('POST', '/api/documents/open', { url: url.split('#')[0] })
      })
    }
  })
  .catch(() => {
    // Without the answer the browser behaviour stays; nothing to report.
  })

const app = mount(App, { target: document.getElementById('app')! })

export default app
