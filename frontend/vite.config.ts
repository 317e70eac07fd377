import { defineConfig } from 'vite'
import { svelte } from '@sveltejs/vite-plugin-svelte'

export default defineConfig({
  plugins: [svelte()],
  build: {
    outDir: 'dist',
    // Keep dist/.gitkeep: `go vet` needs the embed directory to exist.
    emptyOutDir: false,
    target: 'es2020',
  },
  server: {
    proxy: { '/api': 'http://127.0.0.1:8080' },
  },
  test: {
    include: ['src/**/*.test.ts'],
  },
})
