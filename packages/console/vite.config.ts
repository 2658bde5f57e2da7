import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The console is static files a Warden node serves at `/`. Everything it needs is bundled: no CDN,
// no web fonts, nothing fetched from elsewhere, and no inline script (the node's CSP is script-src 'self').
export default defineConfig({
  plugins: [react()],
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Inline assets would become data: URLs in scripts; keep every asset a file under /assets.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    rollupOptions: {
      output: {
        manualChunks(id) {
          if (id.includes('node_modules/recharts') || id.includes('node_modules/d3-')) return 'charts';
          if (id.includes('node_modules/@mantine')) return 'mantine';
          if (id.includes('node_modules/react') || id.includes('node_modules/scheduler')) return 'react';
          if (id.includes('node_modules/@tanstack')) return 'tanstack';
          return undefined;
        },
      },
    },
  },
  server: {
    // `npm run dev -w @warden/console` against a node on the default port.
    proxy: { '/v1': 'http://127.0.0.1:7420' },
  },
});
