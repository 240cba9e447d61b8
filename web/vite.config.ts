import { defineConfig } from "vite";
import preact from "@preact/preset-vite";

// The SDK lives outside this package (../sdk/typescript/src) and imports
// openapi-fetch; resolve it from this package's node_modules so `npm ci`
// here is all a build needs.
const here = decodeURIComponent(new URL(".", import.meta.url).pathname);

export default defineConfig({
  plugins: [preact({ devToolsEnabled: false, prefreshEnabled: false })],
  resolve: {
    alias: {
      "openapi-fetch": `${here}node_modules/openapi-fetch/dist/index.mjs`,
    },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: false,
    target: "es2022",
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    cssCodeSplit: false,
    reportCompressedSize: true,
  },
});
