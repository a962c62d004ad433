import { defineConfig } from "vite";

// The build goes to dist/site: the Go package beside it embeds dist/ (which
// holds a committed .keep, so a fresh clone compiles before the first build).
export default defineConfig({
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: "dist/site",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    chunkSizeWarningLimit: 300,
  },
});
